import type { Provisioner } from './types';

/** Resources the local cloud only names: functions run in serverless-offline, roles and repositories are not enforced or used. */
export const lambdaFunction: Provisioner = {
  type: 'AWS::Lambda::Function',
  identify: (id, _, ctx) => {
    const name = ctx.nameOf(id, 'FunctionName');
    return { ref: name, attributes: { Arn: ctx.arn('lambda', `function:${name}`) } };
  },
};

export const iamRole: Provisioner = {
  type: 'AWS::IAM::Role',
  identify: (id, _, ctx) => ({ ref: id, attributes: { Arn: `arn:aws:iam::${ctx.accountId}:role/${id}` } }),
};

export const ecrRepository: Provisioner = {
  type: 'AWS::ECR::Repository',
  identify: (id, _, ctx) => {
    const name = ctx.nameOf(id, 'RepositoryName');
    return {
      ref: name,
      attributes: { Arn: ctx.arn('ecr', `repository/${name}`), RepositoryUri: `${ctx.accountId}.dkr.ecr.${ctx.region}.amazonaws.com/${name}` },
    };
  },
};
