import type { Provisioner } from './types';

export const ssmParameter: Provisioner = {
  type: 'AWS::SSM::Parameter',
  identify: (id, _, ctx) => ({ ref: ctx.nameOf(id, 'Name'), attributes: {} }),
  create: (id, { Properties: props = {} }, ctx) =>
    void ctx.services.ssm.operations.PutParameter({
      Name: ctx.physical(id).ref,
      Value: String(ctx.resolver.resolve(props.Value)),
      Type: String(props.Type ?? 'String'),
      Overwrite: true,
    }),
};
