import { PutObjectCommand } from '@aws-sdk/client-s3';
import { glueScripts } from '../../glue/scripts';
import { IntrinsicResolver, type PhysicalResource, type Template } from '../template';
import { batchJobDefinition, batchJobQueue } from './batch';
import { dynamoDbTable } from './dynamodb';
import { firehoseDeliveryStream } from './firehose';
import { glueCrawler, glueDatabase, glueJob, glueSecurityConfiguration } from './glue';
import { kinesisStream } from './kinesis';
import { lambdaUrl } from './lambda-url';
import { ecrRepository, iamRole, lambdaFunction } from './names-only';
import { s3Bucket } from './s3';
import { sqsQueue } from './sqs';
import { secretsManagerSecret } from './secrets-manager';
import { ssmParameter } from './ssm';
import { stateMachine } from './stepfunctions';
import type { ProvisionContext, Provisioner } from './types';

export { ProvisionError } from './types';

/** Every CloudFormation type the local cloud knows; others in the template (alarms, log groups, policies…) are left out. */
export const PROVISIONERS: ReadonlyMap<string, Provisioner> = new Map(
  [
    kinesisStream,
    s3Bucket,
    dynamoDbTable,
    firehoseDeliveryStream,
    sqsQueue,
    ssmParameter,
    secretsManagerSecret,
    glueDatabase,
    glueCrawler,
    glueJob,
    glueSecurityConfiguration,
    batchJobQueue,
    batchJobDefinition,
    stateMachine,
    lambdaFunction,
    lambdaUrl,
    iamRole,
    ecrRepository,
  ].map((p) => [p.type, p]),
);

export type ProvisionTarget = Omit<ProvisionContext, 'resolver' | 'nameOf' | 'arn' | 'physical'>;

/**
 * Creates what the packaged template declares, as CloudFormation would: every resource's physical name and
 * attributes first (they depend only on pseudo parameters and names), then each resource in template order.
 * Returns the resolver, which the outputs and the event-source mappings resolve against.
 */
export async function provision(template: Template, target: ProvisionTarget): Promise<IntrinsicResolver> {
  const physical = new Map<string, PhysicalResource>();
  const resolver = new IntrinsicResolver(template, physical, {
    'AWS::Region': target.region,
    'AWS::AccountId': target.accountId,
    'AWS::StackName': target.stackName,
    'AWS::Partition': 'aws',
    'AWS::URLSuffix': 'amazonaws.com',
  });
  const ctx: ProvisionContext = {
    ...target,
    resolver,
    nameOf: (logicalId, property) => {
      const value = template.Resources[logicalId]?.Properties?.[property];
      return value === undefined ? `${target.stackName}-${logicalId}`.toLowerCase() : String(resolver.resolve(value));
    },
    arn: (service, resource) => `arn:aws:${service}:${target.region}:${target.accountId}:${resource}`,
    physical: (logicalId) => {
      const found = physical.get(logicalId);
      if (!found) throw new Error(`${logicalId} has no physical resource yet.`);
      return found;
    },
  };
  const known = Object.entries(template.Resources).flatMap(([id, resource]) => {
    const provisioner = PROVISIONERS.get(resource.Type);
    return provisioner ? [{ id, resource, provisioner }] : [];
  });
  for (const { id, resource, provisioner } of known) physical.set(id, provisioner.identify(id, resource, ctx));
  for (const { id, resource, provisioner } of known) await provisioner.create?.(id, resource, ctx);
  // What plugins/glue-scripts.js uploads after `sls deploy`: the Glue job's script and files.
  const lake = template.Outputs?.LakeBucketName ? String(resolver.resolve(template.Outputs.LakeBucketName.Value)) : undefined;
  if (lake) for (const { key, body } of glueScripts()) await target.clients.s3.send(new PutObjectCommand({ Bucket: lake, Key: key, Body: body }));
  return resolver;
}
