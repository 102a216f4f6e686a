import type { Provisioner } from './types';

export const sqsQueue: Provisioner = {
  type: 'AWS::SQS::Queue',
  identify: (id, _, ctx) => {
    const name = ctx.nameOf(id, 'QueueName');
    return { ref: `${ctx.edgeUrl}/${ctx.accountId}/${name}`, attributes: { Arn: ctx.arn('sqs', name), QueueName: name } };
  },
  create: (id, _, ctx) => void ctx.services.sqs.createQueue(ctx.physical(id).attributes.QueueName!),
};
