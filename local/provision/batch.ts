import type { JobDefinitionSpec } from '../batch';
import type { Provisioner } from './types';

export const batchJobQueue: Provisioner = {
  type: 'AWS::Batch::JobQueue',
  identify: (id, _, ctx) => {
    const queueArn = ctx.arn('batch', `job-queue/${ctx.nameOf(id, 'JobQueueName')}`);
    return { ref: queueArn, attributes: { JobQueueArn: queueArn } };
  },
  create: (_, { Properties: props = {} }, ctx) => void ctx.services.batch.createJobQueue(String(ctx.resolver.resolve(props.JobQueueName))),
};

export const batchJobDefinition: Provisioner = {
  type: 'AWS::Batch::JobDefinition',
  identify: (id, _, ctx) => ({ ref: ctx.arn('batch', `job-definition/${ctx.nameOf(id, 'JobDefinitionName')}:1`), attributes: {} }),
  create: (_, { Properties: props = {} }, ctx) => void ctx.services.batch.createJobDefinition(ctx.resolver.resolve(props) as JobDefinitionSpec),
};
