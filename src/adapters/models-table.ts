import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { VersionExistsError, versionKey, type ModelVersion } from '../domain/registry';
import { dynamoDbDocumentClient } from '../shared/aws-clients';

/** Writes a model version once: versions are immutable, so an existing one is never overwritten. */
export async function putModelVersion(tableName: string, version: ModelVersion): Promise<void> {
  try {
    await dynamoDbDocumentClient().send(new PutCommand({ TableName: tableName, Item: version, ConditionExpression: 'attribute_not_exists(sk)' }));
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) throw new VersionExistsError(`${version.model_name} ${version.version} already exists; versions never change.`, { cause: error });
    throw error;
  }
}

export async function getModelVersion(tableName: string, modelName: string, version: string): Promise<ModelVersion | undefined> {
  const { Item } = await dynamoDbDocumentClient().send(new GetCommand({ TableName: tableName, Key: { model_name: modelName, sk: versionKey(version) } }));
  return Item as ModelVersion | undefined;
}
