import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const root = path.resolve(__dirname, '..', '..');

/** `sls package --stage dev` works offline (no credentials) and the template says what the README promises. */
describe('serverless.yml, packaged for dev', () => {
  const out = mkdtempSync(path.join(os.tmpdir(), 'sls-package-'));
  const env = { ...process.env, AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: '', AWS_PROFILE: 'none', AWS_ENDPOINT_URL: '', SLS_ESBUILD_WORK_FOLDER: path.relative(root, path.join(out, 'esbuild')) };
  execFileSync(path.join(root, 'node_modules/.bin/sls'), ['package', '--stage', 'dev', '--package', out], { cwd: root, env, stdio: 'pipe' });
  const template = JSON.parse(readFileSync(path.join(out, 'cloudformation-template-update-stack.json'), 'utf8'));
  const resources = template.Resources as Record<string, { Type: string; Properties: any }>;

  it('declares the ingestion resources and outputs', () => {
    expect(resources.ClickstreamStream!.Properties).toMatchObject({ StreamModeDetails: { StreamMode: 'ON_DEMAND' }, StreamEncryption: { EncryptionType: 'KMS' } });
    const raw = resources.RawDeliveryStream!.Properties.ExtendedS3DestinationConfiguration;
    expect(raw).toMatchObject({ CompressionFormat: 'GZIP', DynamicPartitioningConfiguration: { Enabled: true }, Prefix: 'raw/clickstream/dt=!{partitionKeyFromQuery:dt}/hour=!{partitionKeyFromQuery:hour}/' });
    expect(resources.BadDeliveryStream!.Properties.ExtendedS3DestinationConfiguration.Prefix).toMatch(/^bad\//);
    expect(Object.keys(template.Outputs)).toEqual(expect.arrayContaining(['ClickstreamStreamName', 'RawDeliveryStreamName', 'BadDeliveryStreamName', 'LakeBucketName', 'HttpApiUrl']));
  });

  it('locks the lake bucket down', () => {
    const bucket = resources.LakeBucket!.Properties;
    expect(bucket.PublicAccessBlockConfiguration).toEqual({ BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true });
    expect(bucket.VersioningConfiguration.Status).toBe('Enabled');
    expect(bucket.LifecycleConfiguration.Rules[0].Transitions).toEqual([{ StorageClass: 'STANDARD_IA', TransitionInDays: 30 }, { StorageClass: 'GLACIER', TransitionInDays: 90 }]);
    expect(resources.LakeBucketPolicy!.Properties.PolicyDocument.Statement[0]).toMatchObject({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } });
  });

  it('configures the ingest mapping with partial batch responses, bisect, bounded retries and a destination', () => {
    const mapping = Object.values(resources).find((r) => r.Type === 'AWS::Lambda::EventSourceMapping')!.Properties;
    expect(mapping).toMatchObject({ BisectBatchOnFunctionError: true, FunctionResponseTypes: ['ReportBatchItemFailures'], MaximumRetryAttempts: 5, DestinationConfig: { OnFailure: { Destination: expect.anything() } } });
  });

  it('grants no wildcard actions or resources to any role', () => {
    for (const [id, resource] of Object.entries(resources).filter(([, r]) => r.Type === 'AWS::IAM::Role')) {
      for (const policy of resource.Properties.Policies ?? []) {
        for (const statement of policy.PolicyDocument.Statement) {
          for (const action of [statement.Action].flat()) expect(`${id}: ${action}`).not.toMatch(/\*/);
          for (const res of [statement.Resource].flat()) if (typeof res === 'string') expect(`${id}: ${res}`).not.toMatch(/^\*$/);
        }
      }
    }
  });

  it('sets no local-only environment outside the local stage', () => {
    for (const fn of Object.values(resources).filter((r) => r.Type === 'AWS::Lambda::Function')) {
      expect(Object.keys(fn.Properties.Environment.Variables)).not.toEqual(expect.arrayContaining(['AWS_ENDPOINT_URL']));
    }
  });
});
