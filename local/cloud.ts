import { CreateStreamCommand, KinesisClient, ResourceInUseException } from '@aws-sdk/client-kinesis';
import { CreateTableCommand, DynamoDBClient, ResourceInUseException as TableInUse } from '@aws-sdk/client-dynamodb';
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import net from 'node:net';
import path from 'node:path';
import dynalite from 'dynalite';
import kinesalite from 'kinesalite';
import S3rver from 's3rver';
import { glueScripts } from '../glue/scripts';
import { LocalBatch, type JobDefinitionSpec } from './batch';
import { createEdge } from './edge';
import { KinesisEventSourceMapping, type MappingSpec } from './event-source-mapping';
import { FaultInjector, type CrashPoint, type FaultRule } from './faults';
import { LocalFirehose } from './firehose';
import { fixDelimitedListing } from './s3rver-listing';
import { LocalGlue, type CrawlerSpec, type JobSpec } from './glue/service';
import { LocalSqs } from './sqs';
import { LocalSsm } from './ssm';
import { LocalSageMaker } from './sagemaker';
import { LocalStepFunctions } from './stepfunctions';
import { ACCOUNT_ID, IntrinsicResolver, packageTemplate, type PhysicalResource, type Template } from './template';
import { AwsJsonError, jsonProtocolService, sendJson } from './aws-json';
import { sleep } from '../src/shared/retry';

export interface LocalCloudOptions {
  /** Project root (where serverless.yml is). */
  root: string;
  /** State directory; data persists here across restarts. */
  dataDir: string;
  /** Edge endpoint port (0 = any free port). */
  port: number;
  /** HTTP API port (serverless-offline; 0 = any free port). */
  apiPort: number;
  reset?: boolean;
  log?: (line: string) => void;
  /** Rebuild and reload the functions when a source file changes (default true: `npm run local`, `npm start`). */
  hotReload?: boolean;
}

export type StackOutputs = Record<string, string> & { Endpoint: string; ApiUrl: string };

export class LocalCloudError extends Error {
  override name = 'LocalCloudError';
}

const REGION = 'us-east-1';
const STACK_NAME = 'clickstream-ml-local';
/** The local cloud accepts any credentials; these are what its own processes use. */
export const LOCAL_CREDENTIALS = {
  AWS_ACCESS_KEY_ID: 'local',
  AWS_SECRET_ACCESS_KEY: 'local',
  AWS_REGION: REGION,
  // This machine runs Node 20 on purpose (Lambda gets nodejs22.x); the SDK's reminder is noise here.
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
};

type LocalStepFunctionsInvoke = (functionName: string, event: unknown) => Promise<{ functionError?: string; payload: unknown }>;

interface Closable {
  close(): Promise<void>;
}

const listen = (server: Server | net.Server, port: number, what: string): Promise<number> =>
  new Promise((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        error.code === 'EADDRINUSE'
          ? new LocalCloudError(
              `Port ${port} (${what}) is in use. Is the local cloud already running? Stop it, or pick another port (see \`npm run local -- --help\`).`,
            )
          : error,
      ),
    );
    server.listen(port, '127.0.0.1', () => resolve((server.address() as net.AddressInfo).port));
  });

async function freePort(): Promise<number> {
  const server = net.createServer();
  const port = await listen(server, 0, 'probe');
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function waitForPort(port: number, child: ChildProcess, logFile: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new LocalCloudError(`serverless-offline exited (code ${child.exitCode}); see ${logFile}.`);
    const open = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, '127.0.0.1', () => {
        socket.end();
        resolve(true);
      });
      socket.on('error', () => resolve(false));
    });
    if (open) return;
    await sleep(200);
  }
  throw new LocalCloudError(`serverless-offline did not open port ${port} within ${timeoutMs / 1000}s; see ${logFile}.`);
}

/**
 * The embedded local cloud: kinesalite, dynalite and s3rver behind one edge endpoint, with local
 * Firehose and SQS stand-ins, the resources of the packaged serverless.yml template, the Kinesis
 * event-source mappings, and the HTTP API (serverless-offline).
 */
export class LocalCloud {
  readonly faults = new FaultInjector();
  readonly mappings: KinesisEventSourceMapping[] = [];
  firehose!: LocalFirehose;
  sqs!: LocalSqs;
  readonly ssm = new LocalSsm(REGION, ACCOUNT_ID);
  glue!: LocalGlue;
  batch!: LocalBatch;
  stepFunctions!: LocalStepFunctions;
  sageMaker!: LocalSageMaker;
  outputs!: StackOutputs;
  private readonly closables: Closable[] = [];
  private offline: ChildProcess | undefined;
  private readonly log: (line: string) => void;

  private constructor(private readonly options: LocalCloudOptions) {
    this.log = options.log ?? (() => undefined);
  }

  get endpoint(): string {
    return this.outputs.Endpoint;
  }

  /** Environment for any process that should talk to this local cloud (SDKs, AWS CLI, sls). */
  get env(): Record<string, string> {
    return { ...LOCAL_CREDENTIALS, AWS_ENDPOINT_URL: this.endpoint };
  }

  static async start(options: LocalCloudOptions): Promise<LocalCloud> {
    const cloud = new LocalCloud(options);
    try {
      await cloud.boot();
      return cloud;
    } catch (error) {
      await cloud.stop().catch(() => undefined);
      throw error;
    }
  }

  private async boot(): Promise<void> {
    const { dataDir, root } = this.options;
    this.lock();
    if (this.options.reset) {
      for (const dir of ['kinesis', 'dynamodb', 's3', 'sqs.json', 'glue-catalog.json', 'esm-checkpoints.json', 'stack-outputs.json'])
        rmSync(path.join(dataDir, dir), { recursive: true, force: true });
    }
    for (const dir of ['kinesis', 'dynamodb', 's3', 'logs']) mkdirSync(path.join(dataDir, dir), { recursive: true });
    if (!existsSync(path.join(root, 'node_modules', '.bin', 'sls'))) throw new LocalCloudError('Dependencies are missing: run `npm install` first.');

    this.log('starting kinesalite, dynalite, s3rver');
    const kinesisServer = kinesalite({ path: path.join(dataDir, 'kinesis'), createStreamMs: 0, deleteStreamMs: 0, updateStreamMs: 0, shardLimit: 100 });
    const kinesisPort = await listen(kinesisServer, 0, 'kinesalite');
    this.closables.push(closeServer(kinesisServer));
    const dynamoServer = dynalite({ path: path.join(dataDir, 'dynamodb'), createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
    const dynamoPort = await listen(dynamoServer, 0, 'dynalite');
    this.closables.push(closeServer(dynamoServer));
    fixDelimitedListing();
    const s3rver = new S3rver({ port: 0, address: '127.0.0.1', directory: path.join(dataDir, 's3'), silent: true });
    const { port: s3Port } = await s3rver.run();
    this.closables.push({ close: () => s3rver.close() });

    const s3Direct = new S3Client({
      region: REGION,
      endpoint: `http://127.0.0.1:${s3Port}`,
      forcePathStyle: true,
      credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
      requestChecksumCalculation: 'WHEN_REQUIRED',
    });
    this.closables.push({ close: async () => s3Direct.destroy() });
    let edgeUrl = '';
    this.firehose = new LocalFirehose(s3Direct, REGION, ACCOUNT_ID, this.faults);
    this.sqs = new LocalSqs(path.join(dataDir, 'sqs.json'), () => edgeUrl, REGION, ACCOUNT_ID);
    const jobEnv = () => ({ ...LOCAL_CREDENTIALS, AWS_ENDPOINT_URL: edgeUrl, LOG_LEVEL: process.env.LOG_LEVEL ?? 'WARN' });
    this.glue = new LocalGlue({ root, dataDir, env: jobEnv, faults: this.faults, log: this.log });
    this.batch = new LocalBatch({ root, dataDir, region: REGION, accountId: ACCOUNT_ID, env: jobEnv, faults: this.faults, log: this.log });
    const lambdaPort = await freePort();
    const lambda = new LambdaClient({
      region: REGION,
      endpoint: `http://127.0.0.1:${lambdaPort}`,
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      maxAttempts: 1,
    });
    this.closables.push({ close: async () => lambda.destroy() });
    const invokeLambda = async (name: string, event: unknown) => {
      const response = await lambda.send(new InvokeCommand({ FunctionName: name, Payload: Buffer.from(JSON.stringify(event)) }));
      const text = response.Payload ? Buffer.from(response.Payload).toString('utf8') : '';
      const payload = text ? (JSON.parse(text) as unknown) : null;
      return { ...(response.FunctionError ? { functionError: response.FunctionError } : {}), payload };
    };
    const readObject = async (bucket: string, key: string) =>
      Buffer.from(await (await s3Direct.send(new GetObjectCommand({ Bucket: bucket, Key: key }))).Body!.transformToByteArray());
    this.stepFunctions = new LocalStepFunctions({
      region: REGION,
      accountId: ACCOUNT_ID,
      invokeLambda,
      glue: this.glue,
      batch: this.batch,
      readObject,
      log: this.log,
    });
    this.sageMaker = new LocalSageMaker({ root, dataDir, region: REGION, accountId: ACCOUNT_ID, s3: s3Direct, faults: this.faults, log: this.log });
    this.closables.push({ close: () => this.sageMaker.stop() });
    const edge = createEdge(
      {
        kinesis: { url: `http://127.0.0.1:${kinesisPort}` },
        dynamodb: { url: `http://127.0.0.1:${dynamoPort}` },
        s3: { url: `http://127.0.0.1:${s3Port}`, anonymous: true },
        firehose: this.firehose.handle,
        sqs: this.sqs.handle,
        glue: jsonProtocolService('Glue', this.glue.operations),
        batch: this.batch.handle,
        states: jsonProtocolService('Step Functions', this.stepFunctions.operations, 'application/x-amz-json-1.0'),
        sagemaker: this.sageMaker.handle,
        ssm: this.ssm.handle,
        local: (req, res, body) => this.admin(req.method ?? 'GET', req.url ?? '/', body, res),
      },
      this.faults,
    );
    const edgePort = await listen(edge, this.options.port, 'edge endpoint');
    this.closables.push(closeServer(edge));
    edgeUrl = `http://localhost:${edgePort}`;
    this.firehose.start();
    this.closables.push({ close: () => this.firehose.stop() });

    const apiPort = this.options.apiPort || (await freePort());
    const childEnv = {
      ...process.env,
      ...LOCAL_CREDENTIALS,
      AWS_ENDPOINT_URL: edgeUrl,
      API_PORT: String(apiPort),
      LAMBDA_PORT: String(lambdaPort),
      // A pattern no file matches: serverless-esbuild then watches nothing.
      ...(this.options.hotReload === false ? { SLS_ESBUILD_WATCH_PATTERN: '.no-hot-reload/**' } : {}),
    };
    const workFolder = (name: string) => ({ SLS_ESBUILD_WORK_FOLDER: path.relative(root, path.join(dataDir, name)) });

    this.log('packaging serverless.yml (stage local)');
    const template = await packageTemplate(root, path.join(dataDir, 'package'), { ...childEnv, ...workFolder('esbuild-package') });
    this.log('creating the resources the template declares');
    const resolver = await this.provision(template, edgeUrl);

    this.log('starting the HTTP API (serverless-offline)');
    const logFile = path.join(dataDir, 'logs', 'offline.log');
    // The API's output goes straight to its log file: through a pipe into this process, a busy moment here would
    // block its writes (pipe writes are synchronous on Linux) and with them every function it runs.
    const logFd = openSync(logFile, 'a');
    this.closables.push({ close: async () => closeSync(logFd) });
    this.offline = spawn(path.join(root, 'node_modules', '.bin', 'sls'), ['offline', 'start', '--stage', 'local'], {
      cwd: root,
      env: { ...childEnv, ...workFolder('esbuild-offline') },
      stdio: ['ignore', logFd, logFd],
      detached: true,
    });
    writeFileSync(path.join(dataDir, 'cloud.lock'), JSON.stringify({ pid: process.pid, offlinePid: this.offline.pid }));
    await waitForPort(apiPort, this.offline, logFile, 120_000);
    await waitForPort(lambdaPort, this.offline, logFile, 30_000);

    this.startMappings(template, resolver, edgeUrl, invokeLambda);

    const outputs: Record<string, string> = {};
    for (const [key, output] of Object.entries(template.Outputs ?? {})) {
      try {
        outputs[key] = String(resolver.resolve(output.Value));
      } catch {
        // Outputs of resources the local cloud does not create (deployment bucket, versions) are left out.
      }
    }
    const apiUrl = `http://localhost:${apiPort}`;
    this.outputs = { ...outputs, HttpApiUrl: apiUrl, Endpoint: edgeUrl, ApiUrl: apiUrl };
    writeFileSync(path.join(dataDir, 'stack-outputs.json'), `${JSON.stringify(this.outputs, null, 2)}\n`);
  }

  /** One local cloud per data directory; a stale lock (crashed run) is taken over and its API process ended. */
  private lock(): void {
    const lockFile = path.join(this.options.dataDir, 'cloud.lock');
    mkdirSync(this.options.dataDir, { recursive: true });
    if (existsSync(lockFile)) {
      const previous = JSON.parse(readFileSync(lockFile, 'utf8')) as { pid: number; offlinePid?: number };
      if (previous.pid !== process.pid && isAlive(previous.pid)) {
        throw new LocalCloudError(
          `The local cloud is already running (pid ${previous.pid}) on ${this.options.dataDir}. Use it, or stop it (Ctrl-C in its terminal, or \`kill ${previous.pid}\`).`,
        );
      }
      if (previous.offlinePid && isAlive(previous.offlinePid)) process.kill(-previous.offlinePid, 'SIGTERM');
    }
    writeFileSync(lockFile, JSON.stringify({ pid: process.pid }));
    this.closables.push({ close: async () => rmSync(lockFile, { force: true }) });
  }

  private async provision(template: Template, edgeUrl: string): Promise<IntrinsicResolver> {
    const physical = new Map<string, PhysicalResource>();
    const pseudo = {
      'AWS::Region': REGION,
      'AWS::AccountId': ACCOUNT_ID,
      'AWS::StackName': STACK_NAME,
      'AWS::Partition': 'aws',
      'AWS::URLSuffix': 'amazonaws.com',
    };
    const resolver = new IntrinsicResolver(template, physical, pseudo);
    const arn = (service: string, resource: string) => `arn:aws:${service}:${REGION}:${ACCOUNT_ID}:${resource}`;
    const nameOf = (logicalId: string, property: string): string => {
      const value = template.Resources[logicalId]?.Properties?.[property];
      return value === undefined ? `${STACK_NAME}-${logicalId}`.toLowerCase() : String(resolver.resolve(value));
    };
    // Names first (they depend only on pseudo parameters), so later properties can refer to any resource.
    for (const [id, resource] of Object.entries(template.Resources)) {
      switch (resource.Type) {
        case 'AWS::Kinesis::Stream': {
          const name = nameOf(id, 'Name');
          physical.set(id, { ref: name, attributes: { Arn: arn('kinesis', `stream/${name}`) } });
          break;
        }
        case 'AWS::S3::Bucket': {
          const name = nameOf(id, 'BucketName');
          physical.set(id, { ref: name, attributes: { Arn: `arn:aws:s3:::${name}` } });
          break;
        }
        case 'AWS::DynamoDB::Table': {
          const name = nameOf(id, 'TableName');
          physical.set(id, { ref: name, attributes: { Arn: arn('dynamodb', `table/${name}`) } });
          break;
        }
        case 'AWS::KinesisFirehose::DeliveryStream': {
          const name = nameOf(id, 'DeliveryStreamName');
          physical.set(id, { ref: name, attributes: { Arn: arn('firehose', `deliverystream/${name}`) } });
          break;
        }
        case 'AWS::SQS::Queue': {
          const name = nameOf(id, 'QueueName');
          physical.set(id, { ref: `${edgeUrl}/${ACCOUNT_ID}/${name}`, attributes: { Arn: arn('sqs', name), QueueName: name } });
          break;
        }
        case 'AWS::Lambda::Function': {
          const name = nameOf(id, 'FunctionName');
          physical.set(id, { ref: name, attributes: { Arn: arn('lambda', `function:${name}`) } });
          break;
        }
        case 'AWS::IAM::Role':
          physical.set(id, { ref: id, attributes: { Arn: `arn:aws:iam::${ACCOUNT_ID}:role/${id}` } });
          break;
        case 'AWS::Glue::Database':
          physical.set(id, { ref: String(resolver.resolve(resource.Properties?.DatabaseInput?.Name)), attributes: {} });
          break;
        case 'AWS::SSM::Parameter':
          physical.set(id, { ref: nameOf(id, 'Name'), attributes: {} });
          break;
        case 'AWS::Glue::Crawler':
        case 'AWS::Glue::Job':
        case 'AWS::Glue::SecurityConfiguration':
          physical.set(id, { ref: nameOf(id, 'Name'), attributes: {} });
          break;
        case 'AWS::ECR::Repository': {
          const name = nameOf(id, 'RepositoryName');
          physical.set(id, {
            ref: name,
            attributes: { Arn: arn('ecr', `repository/${name}`), RepositoryUri: `${ACCOUNT_ID}.dkr.ecr.${REGION}.amazonaws.com/${name}` },
          });
          break;
        }
        case 'AWS::Batch::JobQueue': {
          const queueArn = arn('batch', `job-queue/${nameOf(id, 'JobQueueName')}`);
          physical.set(id, { ref: queueArn, attributes: { JobQueueArn: queueArn } });
          break;
        }
        case 'AWS::Batch::JobDefinition':
          physical.set(id, { ref: arn('batch', `job-definition/${nameOf(id, 'JobDefinitionName')}:1`), attributes: {} });
          break;
        case 'AWS::StepFunctions::StateMachine': {
          const name = nameOf(id, 'StateMachineName');
          const machineArn = arn('states', `stateMachine:${name}`);
          physical.set(id, { ref: machineArn, attributes: { Arn: machineArn, Name: name } });
          break;
        }
      }
    }
    const client = { region: REGION, endpoint: edgeUrl, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } };
    const kinesis = new KinesisClient({ ...client, requestHandler: new NodeHttpHandler() });
    const dynamodb = new DynamoDBClient(client);
    const s3 = new S3Client({ ...client, forcePathStyle: true });
    this.closables.push({ close: async () => [kinesis, dynamodb, s3].forEach((c) => c.destroy()) });
    for (const [id, resource] of Object.entries(template.Resources)) {
      const props = resource.Properties ?? {};
      const name = physical.get(id)?.ref ?? id;
      switch (resource.Type) {
        case 'AWS::Kinesis::Stream':
          // On-demand streams start with 4 shards on AWS; so do local ones.
          await kinesis.send(new CreateStreamCommand({ StreamName: name, ShardCount: props.ShardCount ?? 4 })).catch((e) => ignore(e, ResourceInUseException));
          break;
        case 'AWS::S3::Bucket':
          await s3.send(new CreateBucketCommand({ Bucket: name })).catch((e) => ignore(e, Error, 'BucketAlreadyOwnedByYou', 'BucketAlreadyExists'));
          break;
        case 'AWS::DynamoDB::Table':
          await dynamodb
            .send(
              new CreateTableCommand({
                TableName: name,
                AttributeDefinitions: props.AttributeDefinitions,
                KeySchema: props.KeySchema,
                GlobalSecondaryIndexes: props.GlobalSecondaryIndexes,
                BillingMode: props.BillingMode ?? 'PAY_PER_REQUEST',
                ...(props.ProvisionedThroughput ? { ProvisionedThroughput: props.ProvisionedThroughput } : {}),
              }),
            )
            .catch((e) => ignore(e, TableInUse));
          break;
        case 'AWS::KinesisFirehose::DeliveryStream': {
          try {
            this.firehose.operations.CreateDeliveryStream(resolver.resolve(props));
          } catch (error) {
            if (!(error instanceof AwsJsonError && error.type === 'ResourceInUseException')) {
              throw new LocalCloudError(`Cannot create delivery stream ${name}: ${(error as Error).message}`);
            }
          }
          break;
        }
        case 'AWS::SQS::Queue':
          this.sqs.createQueue(physical.get(id)!.attributes.QueueName!);
          break;
        case 'AWS::SSM::Parameter':
          this.ssm.operations.PutParameter({ Name: name, Value: String(resolver.resolve(props.Value)), Type: String(props.Type ?? 'String'), Overwrite: true });
          break;
        case 'AWS::Glue::Database':
          this.glue.createDatabase(name);
          break;
        case 'AWS::Glue::Crawler':
          this.glue.createCrawler(resolver.resolve(props) as CrawlerSpec);
          break;
        case 'AWS::Glue::Job':
          this.glue.createJob(resolver.resolve(props) as JobSpec);
          break;
        case 'AWS::Batch::JobQueue':
          this.batch.createJobQueue(String(resolver.resolve(props.JobQueueName)));
          break;
        case 'AWS::Batch::JobDefinition':
          this.batch.createJobDefinition(resolver.resolve(props) as JobDefinitionSpec);
          break;
        case 'AWS::StepFunctions::StateMachine': {
          // As CloudFormation does: the definition's ${Name} placeholders filled from DefinitionSubstitutions.
          const substitutions = resolver.resolve(props.DefinitionSubstitutions ?? {}) as Record<string, string>;
          const text = String(resolver.resolve(props.DefinitionString)).replace(/\$\{([^}]+)\}/g, (whole, key: string) => substitutions[key] ?? whole);
          try {
            this.stepFunctions.createStateMachine(physical.get(id)!.attributes.Name!, JSON.parse(text), String(resolver.resolve(props.RoleArn)));
          } catch (error) {
            throw new LocalCloudError(`State machine ${id} is not valid: ${(error as Error).message}`);
          }
          break;
        }
      }
    }
    // What plugins/glue-scripts.js uploads after `sls deploy`: the Glue job's script and files.
    const lake = template.Outputs?.LakeBucketName ? String(resolver.resolve(template.Outputs.LakeBucketName.Value)) : undefined;
    if (lake) for (const { key, body } of glueScripts()) await s3.send(new PutObjectCommand({ Bucket: lake, Key: key, Body: body }));
    return resolver;
  }

  private startMappings(template: Template, resolver: IntrinsicResolver, edgeUrl: string, invoke: LocalStepFunctionsInvoke): void {
    const kinesis = new KinesisClient({
      region: REGION,
      endpoint: edgeUrl,
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      requestHandler: new NodeHttpHandler(),
    });
    this.closables.push({ close: async () => kinesis.destroy() });
    const checkpointFile = path.join(this.options.dataDir, 'esm-checkpoints.json');
    const checkpoints: Record<string, string> = existsSync(checkpointFile) ? JSON.parse(readFileSync(checkpointFile, 'utf8')) : {};
    for (const [id, resource] of Object.entries(template.Resources)) {
      if (resource.Type !== 'AWS::Lambda::EventSourceMapping') continue;
      const p = resolver.resolve(resource.Properties) as Record<string, any>;
      const functionName = String(p.FunctionName).split(':').pop()!;
      const spec: MappingSpec = {
        functionName,
        streamArn: p.EventSourceArn,
        batchSize: p.BatchSize ?? 100,
        batchWindowSeconds: p.MaximumBatchingWindowInSeconds ?? 0,
        startingPosition: p.StartingPosition === 'LATEST' ? 'LATEST' : 'TRIM_HORIZON',
        bisectBatchOnFunctionError: p.BisectBatchOnFunctionError === true,
        maximumRetryAttempts: p.MaximumRetryAttempts ?? -1,
        maximumRecordAgeSeconds: p.MaximumRecordAgeInSeconds ?? -1,
        reportBatchItemFailures: (p.FunctionResponseTypes ?? []).includes('ReportBatchItemFailures'),
      };
      const destination: string | undefined = p.DestinationConfig?.OnFailure?.Destination;
      const mapping = new KinesisEventSourceMapping(spec, {
        kinesis,
        region: REGION,
        invoke: (name, event) => {
          const crash = this.faults.takeCrash(name);
          return crash ? this.crashedInvocation(invoke, name, event, crash) : invoke(name, event);
        },
        ...(destination ? { onFailure: async (record: unknown) => void this.sqs.send(destination.split(':').pop()!, JSON.stringify(record)) } : {}),
        checkpoint: {
          get: (shard) => checkpoints[`${id}/${shard}`],
          set: (shard, sequence) => {
            checkpoints[`${id}/${shard}`] = sequence;
            writeFileSync(checkpointFile, JSON.stringify(checkpoints));
          },
        },
        log: (message, detail) => this.log(`[${functionName} ← kinesis] ${message} ${detail ? JSON.stringify(detail) : ''}`),
      });
      this.mappings.push(mapping);
      void mapping.start();
    }
  }

  /**
   * An invocation whose runtime dies (a `crash` fault), as Lambda reports it to the event-source mapping: a
   * function error, whatever the function did. `before-delivery`: it did nothing. `after-delivery`: it ran, and
   * its last writes — the dedup table's BatchWriteItem calls for this batch's keys — never happened.
   */
  private async crashedInvocation(invoke: LocalStepFunctionsInvoke, name: string, event: unknown, point: CrashPoint) {
    const exited = {
      functionError: 'Unhandled',
      payload: { errorType: 'Runtime.ExitError', errorMessage: `Runtime exited with error: signal: killed (injected crash, ${point})` },
    };
    if (point === 'before-delivery') return exited;
    const records = (event as { Records?: { eventID: string; kinesis: { data: string } }[] }).Records ?? [];
    const keys = records.flatMap((r) => {
      let eventId: unknown;
      try {
        const body = JSON.parse(Buffer.from(r.kinesis.data, 'base64').toString('utf8')) as { event_id?: unknown; event?: { event_id?: unknown } };
        eventId = body.event?.event_id ?? body.event_id;
      } catch {
        eventId = undefined;
      }
      return typeof eventId === 'string' ? [r.eventID, eventId] : [r.eventID];
    });
    const disarm = this.faults.arm({
      service: 'dynamodb',
      operation: 'BatchWriteItem',
      type: 'throttle',
      count: Number.MAX_SAFE_INTEGER,
      match: keys,
      errorCode: 'InternalServerError',
    });
    try {
      await invoke(name, event);
    } finally {
      disarm();
    }
    return exited;
  }

  /** `/_local/*`: health, fault injection, drain. */
  private async admin(method: string, url: string, body: Buffer, res: import('node:http').ServerResponse): Promise<void> {
    if (url === '/_local/health') return sendJson(res, 200, { status: 'ready', outputs: this.outputs }, 'application/json');
    if (url === '/_local/faults' && method === 'POST') {
      this.faults.add(JSON.parse(body.toString('utf8') || '[]') as FaultRule[]);
      return sendJson(res, 200, { faults: this.faults.list() }, 'application/json');
    }
    if (url.startsWith('/_local/faults') && method === 'DELETE') {
      this.faults.clear(new URL(url, 'http://edge').searchParams.get('service') ?? undefined);
      return sendJson(res, 200, { faults: this.faults.list() }, 'application/json');
    }
    if (url === '/_local/faults') return sendJson(res, 200, { faults: this.faults.list() }, 'application/json');
    if (url === '/_local/drain' && method === 'POST') {
      await this.drain();
      return sendJson(res, 200, { drained: true }, 'application/json');
    }
    sendJson(res, 404, { message: `unknown local endpoint ${method} ${url}` }, 'application/json');
  }

  /** Waits until every stream record has been handled and every Firehose buffer is written to S3. */
  async drain(timeoutMs = 120_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const caughtUp = (await Promise.all(this.mappings.map((m) => m.caughtUp()))).every(Boolean);
      if (caughtUp) {
        await this.firehose.flush(true);
        if (this.firehose.pendingRecords() === 0) return;
      }
      await sleep(250);
    }
    const behind = [];
    for (const m of this.mappings) if (!(await m.caughtUp())) behind.push(`${m.functionName} has stream records left (${JSON.stringify(m.stats)})`);
    const pending = this.firehose.pendingRecords();
    if (pending > 0)
      behind.push(
        `${pending} Firehose records are still buffered${this.firehose.lastWriteError ? ` (last failed write: ${this.firehose.lastWriteError})` : ''}`,
      );
    throw new LocalCloudError(
      `The pipeline did not drain within ${timeoutMs / 1000}s: ${behind.join('; ') || 'it caught up just now'}; see ${path.join(this.options.dataDir, 'logs')}.`,
    );
  }

  async stop(): Promise<void> {
    await Promise.all(this.mappings.map((m) => m.stop()));
    if (this.offline?.pid && this.offline.exitCode === null) {
      const child = this.offline;
      await new Promise<void>((resolve) => {
        const force = setTimeout(() => process.kill(-child.pid!, 'SIGKILL'), 5_000);
        child.once('exit', () => {
          clearTimeout(force);
          resolve();
        });
        process.kill(-child.pid!, 'SIGTERM');
      });
    }
    for (const closable of this.closables.reverse()) await closable.close().catch(() => undefined);
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function closeServer(server: Server): Closable {
  return {
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function ignore(error: unknown, type: abstract new (...args: never[]) => Error, ...names: string[]): void {
  if (error instanceof type && (names.length === 0 || names.includes((error as Error).name))) return;
  throw error;
}
