import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { cachedClient, cachedWrapper } from '#shared/aws-clients';

export function dynamoDbClient(): DynamoDBClient {
  return cachedClient('DYNAMODB', (config) => new DynamoDBClient(config));
}

export function dynamoDbDocumentClient(): DynamoDBDocumentClient {
  return cachedWrapper('dynamodb-document', () => DynamoDBDocumentClient.from(dynamoDbClient(), { marshallOptions: { removeUndefinedValues: true } }));
}
