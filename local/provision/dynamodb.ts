import { CreateTableCommand } from '@aws-sdk/client-dynamodb';
import { ignoreExisting, type Provisioner } from './types';

export const dynamoDbTable: Provisioner = {
  type: 'AWS::DynamoDB::Table',
  identify: (id, _, ctx) => {
    const name = ctx.nameOf(id, 'TableName');
    return { ref: name, attributes: { Arn: ctx.arn('dynamodb', `table/${name}`) } };
  },
  create: async (id, { Properties: props = {} }, ctx) => {
    await ctx.clients.dynamodb
      .send(
        new CreateTableCommand({
          TableName: ctx.physical(id).ref,
          AttributeDefinitions: props.AttributeDefinitions,
          KeySchema: props.KeySchema,
          GlobalSecondaryIndexes: props.GlobalSecondaryIndexes,
          BillingMode: props.BillingMode ?? 'PAY_PER_REQUEST',
          ...(props.ProvisionedThroughput ? { ProvisionedThroughput: props.ProvisionedThroughput } : {}),
        }),
      )
      .catch((e) => ignoreExisting(e, ['ResourceInUseException']));
  },
};
