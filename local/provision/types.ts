import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import type { S3Client } from '@aws-sdk/client-s3';
import type { LocalBatch } from '../batch';
import type { LocalFirehose } from '../firehose';
import type { LocalFunctionUrls } from '../function-urls';
import type { LocalGlue } from '../glue/service';
import type { LocalSqs } from '../sqs';
import type { LocalSecretsManager } from '../secrets-manager';
import type { LocalSsm } from '../ssm';
import type { LocalStepFunctions } from '../stepfunctions';
import type { IntrinsicResolver, PhysicalResource, Template } from '../template';

export type TemplateResource = Template['Resources'][string];

/** What a provisioner may use: the template's names and intrinsics, and the local cloud's services. */
export interface ProvisionContext {
  region: string;
  accountId: string;
  stackName: string;
  edgeUrl: string;
  resolver: IntrinsicResolver;
  /** The resource's name property resolved, or the name CloudFormation would generate. */
  nameOf(logicalId: string, property: string): string;
  arn(service: string, resource: string): string;
  physical(logicalId: string): PhysicalResource;
  clients: { kinesis: KinesisClient; dynamodb: DynamoDBClient; s3: S3Client };
  services: {
    firehose: LocalFirehose;
    sqs: LocalSqs;
    ssm: LocalSsm;
    secretsManager: LocalSecretsManager;
    glue: LocalGlue;
    batch: LocalBatch;
    stepFunctions: LocalStepFunctions;
    functionUrls: LocalFunctionUrls;
  };
}

/** One CloudFormation resource type, as the local cloud creates it. */
export interface Provisioner {
  type: string;
  /** Its Ref and Fn::GetAtt values (first, for every resource, so any property can refer to any resource). */
  identify(logicalId: string, resource: TemplateResource, ctx: ProvisionContext): PhysicalResource;
  /** Creates it; types that only need a name (roles, functions, repositories) have none. Creating what exists is not an error. */
  create?(logicalId: string, resource: TemplateResource, ctx: ProvisionContext): Promise<void> | void;
}

export class ProvisionError extends Error {
  override name = 'ProvisionError';
}

/** A "create" call's error that means it is already there (a restart of the local cloud keeps its state). */
export function ignoreExisting(error: unknown, names: readonly string[]): void {
  if (error instanceof Error && names.includes(error.name)) return;
  throw error;
}
