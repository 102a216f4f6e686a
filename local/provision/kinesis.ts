import { CreateStreamCommand } from '@aws-sdk/client-kinesis';
import { ignoreExisting, type Provisioner } from './types';

export const kinesisStream: Provisioner = {
  type: 'AWS::Kinesis::Stream',
  identify: (id, _, ctx) => {
    const name = ctx.nameOf(id, 'Name');
    return { ref: name, attributes: { Arn: ctx.arn('kinesis', `stream/${name}`) } };
  },
  create: async (id, { Properties: props = {} }, ctx) => {
    // On-demand streams start with 4 shards on AWS; so do local ones.
    await ctx.clients.kinesis
      .send(new CreateStreamCommand({ StreamName: ctx.physical(id).ref, ShardCount: props.ShardCount ?? 4 }))
      .catch((e) => ignoreExisting(e, ['ResourceInUseException']));
  },
};
