import { CreateStreamCommand } from '@aws-sdk/client-kinesis';
import { waitForActiveStream } from '../kinesis-streams';
import { ignoreExisting, type Provisioner } from './types';

export const kinesisStream: Provisioner = {
  type: 'AWS::Kinesis::Stream',
  identify: (id, _, ctx) => {
    const name = ctx.nameOf(id, 'Name');
    return { ref: name, attributes: { Arn: ctx.arn('kinesis', `stream/${name}`) } };
  },
  create: async (id, { Properties: props = {} }, ctx) => {
    const name = ctx.physical(id).ref;
    // On-demand streams start with 4 shards on AWS; so do local ones.
    await ctx.clients.kinesis
      .send(new CreateStreamCommand({ StreamName: name, ShardCount: props.ShardCount ?? 4 }))
      .catch((e) => ignoreExisting(e, ['ResourceInUseException']));
    await waitForActiveStream(ctx.clients.kinesis, name);
  },
};
