import { AwsJsonError } from '../aws-json';
import { ProvisionError, type Provisioner } from './types';

export const firehoseDeliveryStream: Provisioner = {
  type: 'AWS::KinesisFirehose::DeliveryStream',
  identify: (id, _, ctx) => {
    const name = ctx.nameOf(id, 'DeliveryStreamName');
    return { ref: name, attributes: { Arn: ctx.arn('firehose', `deliverystream/${name}`) } };
  },
  create: (id, { Properties: props = {} }, ctx) => {
    try {
      ctx.services.firehose.operations.CreateDeliveryStream(ctx.resolver.resolve(props));
    } catch (error) {
      if (!(error instanceof AwsJsonError && error.type === 'ResourceInUseException'))
        throw new ProvisionError(`Cannot create delivery stream ${ctx.physical(id).ref}: ${(error as Error).message}`);
    }
  },
};
