import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { ignoreExisting, type Provisioner } from './types';

export const s3Bucket: Provisioner = {
  type: 'AWS::S3::Bucket',
  identify: (id, _, ctx) => {
    const name = ctx.nameOf(id, 'BucketName');
    return { ref: name, attributes: { Arn: `arn:aws:s3:::${name}` } };
  },
  create: async (id, _, ctx) => {
    await ctx.clients.s3
      .send(new CreateBucketCommand({ Bucket: ctx.physical(id).ref }))
      .catch((e) => ignoreExisting(e, ['BucketAlreadyOwnedByYou', 'BucketAlreadyExists']));
  },
};
