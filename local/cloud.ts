import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { KinesisClient } from '@aws-sdk/client-kinesis';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import dynalite from 'dynalite';
import kinesalite from 'kinesalite';
import S3rver from 's3rver';
import { sleep } from '#shared/retry';
import { jsonProtocolService, sendJson } from './aws-json';
import { LocalBatch } from './batch';
import { LocalCloudFormation } from './cloudformation';
import { createEdge } from './edge';
import { LocalFunctionUrls } from './function-urls';
import type { Invoke, KinesisEventSourceMapping } from './event-source-mapping';
import { FaultInjector, type FaultRule } from './faults';
import { LocalFirehose } from './firehose';
import { LocalGlue } from './glue/service';
import { startMappings } from './mappings';
import { closeServer, freePort, isAlive, listen, LocalCloudError, waitForPort, type Closable } from './net';
import { provision, ProvisionError } from './provision';
import { fixDelimitedListing } from './s3rver-listing';
import { lambdaDurations, UsageMeter } from './usage';
import { opsData } from './ops';
import { createSite } from './site';
import { LocalSageMaker } from './sagemaker';
import { LocalSqs } from './sqs';
import { LocalSecretsManager } from './secrets-manager';
import { LocalSsm } from './ssm';
import { LocalStepFunctions } from './stepfunctions';
import { ACCOUNT_ID, packageTemplate, paramArgs, type IntrinsicResolver, type Template } from './template';

export { LocalCloudError };

export interface LocalCloudOptions {
  /** Project root (where serverless.yml is). */
  root: string;
  /** State directory; data persists here across restarts. */
  dataDir: string;
  /** Edge endpoint port (0 = any free port). */
  port: number;
  /** HTTP API port (serverless-offline; 0 = any free port). */
  apiPort: number;
  /** The static site's port: the tracker and the demo storefront (0 or absent = any free port). */
  sitePort?: number;
  reset?: boolean;
  log?: (line: string) => void;
  /** Rebuild and reload the functions when a source file changes (default true: `npm run local`, `npm start`). */
  hotReload?: boolean;
  /** Stage params for this run, over serverless.yml's local ones (e.g. collectFunctionUrl: 'true'). */
  params?: Record<string, string>;
}

export type StackOutputs = Record<string, string> & { Endpoint: string; ApiUrl: string };

const REGION = 'us-east-1';
/** What `sls deploy --stage local` would name the stack (service-stage); DescribeStacks answers to it. */
export const STACK_NAME = 'clickstream-ml-local';
/** The local cloud accepts any credentials; these are what its own processes use. */
export const LOCAL_CREDENTIALS = {
  AWS_ACCESS_KEY_ID: 'local',
  AWS_SECRET_ACCESS_KEY: 'local',
  AWS_REGION: REGION,
  // This machine runs Node 20 on purpose (Lambda gets nodejs22.x); the SDK's reminder is noise here.
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
};
const LOCAL_CLIENT = { region: REGION, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } };

/** The emulators' own endpoints (the edge fronts them), and an S3 client that speaks to s3rver with its key pair. */
interface Emulators {
  kinesisUrl: string;
  dynamoDbUrl: string;
  s3Url: string;
  s3: S3Client;
}

/**
 * The embedded local cloud: kinesalite, dynalite and s3rver behind one edge endpoint, with local
 * Firehose, SQS, SSM, Glue, Batch, Step Functions, SageMaker and CloudFormation stand-ins, the resources of
 * the packaged serverless.yml template, the Kinesis event-source mappings, and the HTTP API (serverless-offline).
 */
export class LocalCloud {
  readonly faults = new FaultInjector();
  /** What the services were asked to do since the last reset (`npm run cost` measures with it). */
  readonly usage = new UsageMeter();
  /** Where the functions' log stood at the last usage reset: durations are read from there on. */
  private usageLogOffset = 0;
  mappings: KinesisEventSourceMapping[] = [];
  firehose!: LocalFirehose;
  sqs!: LocalSqs;
  readonly ssm = new LocalSsm(REGION, ACCOUNT_ID);
  secretsManager!: LocalSecretsManager;
  glue!: LocalGlue;
  batch!: LocalBatch;
  stepFunctions!: LocalStepFunctions;
  sageMaker!: LocalSageMaker;
  functionUrls!: LocalFunctionUrls;
  outputs!: StackOutputs;
  private readonly cloudFormation = new LocalCloudFormation(REGION, ACCOUNT_ID, { name: STACK_NAME, createdAt: new Date(), outputs: () => this.outputs ?? {} });
  private readonly closables: Closable[] = [];
  private offline: ChildProcess | undefined;
  private readonly log: (line: string) => void;
  /** The edge endpoint's URL, once it listens (stand-ins created before it ask for it later). */
  private edgeUrl = '';

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

  /** The boot, step by step; each step stops what it started when the local cloud stops. */
  private async boot(): Promise<void> {
    this.lock();
    this.prepareDataDir();
    const emulators = await this.startEmulators();
    const lambda = await this.lambdaEndpoint();
    this.createStandIns(emulators.s3, lambda.invoke);
    await this.startEdge(emulators);
    const apiPort = this.options.apiPort || (await freePort());
    const siteUrl = await this.startSite(`http://localhost:${apiPort}`);
    const env = this.childEnv(apiPort, lambda.port, siteUrl);
    const template = await this.packageTemplate(env);
    const resolver = await this.createResources(template);
    await this.startHttpApi(env, apiPort, lambda.port);
    this.startMappings(template, resolver, lambda.invoke);
    this.writeOutputs(template, resolver, apiPort, siteUrl, lambda.port);
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

  private prepareDataDir(): void {
    const { dataDir, root } = this.options;
    if (this.options.reset) {
      // The functions' log too: the operations page reads its metrics from it, which must start from zero with the data.
      for (const dir of [
        'kinesis',
        'dynamodb',
        's3',
        'sqs.json',
        'secrets.json',
        'glue-catalog.json',
        'esm-checkpoints.json',
        'stack-outputs.json',
        'logs/offline.log',
      ])
        rmSync(path.join(dataDir, dir), { recursive: true, force: true });
    }
    for (const dir of ['kinesis', 'dynamodb', 's3', 'logs']) mkdirSync(path.join(dataDir, dir), { recursive: true });
    if (!existsSync(path.join(root, 'node_modules', '.bin', 'sls'))) throw new LocalCloudError('Dependencies are missing: run `npm install` first.');
  }

  private async startEmulators(): Promise<Emulators> {
    const { dataDir } = this.options;
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
    const s3Url = `http://127.0.0.1:${s3Port}`;
    const s3 = new S3Client({
      region: REGION,
      endpoint: s3Url,
      forcePathStyle: true,
      credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
      requestChecksumCalculation: 'WHEN_REQUIRED',
    });
    this.closables.push({ close: async () => s3.destroy() });
    return { kinesisUrl: `http://127.0.0.1:${kinesisPort}`, dynamoDbUrl: `http://127.0.0.1:${dynamoPort}`, s3Url, s3 };
  }

  /** serverless-offline's Lambda Invoke endpoint (it opens later, with the HTTP API): how mappings and state machines run functions. */
  private async lambdaEndpoint(): Promise<{ port: number; invoke: Invoke }> {
    const port = await freePort();
    const lambda = new LambdaClient({ ...LOCAL_CLIENT, endpoint: `http://127.0.0.1:${port}`, maxAttempts: 1 });
    this.closables.push({ close: async () => lambda.destroy() });
    const invoke: Invoke = async (name, event) => {
      const response = await lambda.send(new InvokeCommand({ FunctionName: name, Payload: Buffer.from(JSON.stringify(event)) }));
      const text = response.Payload ? Buffer.from(response.Payload).toString('utf8') : '';
      const payload = text ? (JSON.parse(text) as unknown) : null;
      return { ...(response.FunctionError ? { functionError: response.FunctionError } : {}), payload };
    };
    return { port, invoke };
  }

  /** The services no library emulates, written small after the AWS API shapes. */
  private createStandIns(s3: S3Client, invoke: Invoke): void {
    const { root, dataDir } = this.options;
    const common = { root, dataDir, region: REGION, accountId: ACCOUNT_ID, faults: this.faults, log: this.log };
    const jobEnv = () => ({ ...LOCAL_CREDENTIALS, AWS_ENDPOINT_URL: this.edgeUrl, LOG_LEVEL: process.env.LOG_LEVEL ?? 'WARN' });
    this.firehose = new LocalFirehose(s3, REGION, ACCOUNT_ID, this.faults, this.usage, invoke);
    this.sqs = new LocalSqs(path.join(dataDir, 'sqs.json'), () => this.edgeUrl, REGION, ACCOUNT_ID);
    this.secretsManager = new LocalSecretsManager(path.join(dataDir, 'secrets.json'), REGION, ACCOUNT_ID);
    this.glue = new LocalGlue({ ...common, env: jobEnv });
    this.batch = new LocalBatch({ ...common, env: jobEnv });
    const readObject = async (bucket: string, key: string) =>
      Buffer.from(await (await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }))).Body!.transformToByteArray());
    this.sageMaker = new LocalSageMaker({ ...common, s3 });
    this.stepFunctions = new LocalStepFunctions({ ...common, invokeLambda: invoke, glue: this.glue, batch: this.batch, sagemaker: this.sageMaker, readObject });
    this.closables.push({ close: () => this.sageMaker.stop() });
    this.functionUrls = new LocalFunctionUrls(invoke);
  }

  /** The one endpoint (AWS_ENDPOINT_URL) in front of every service; Firehose starts flushing once it is up. */
  private async startEdge(emulators: Emulators): Promise<void> {
    const edge = createEdge(
      {
        kinesis: { url: emulators.kinesisUrl },
        dynamodb: { url: emulators.dynamoDbUrl },
        s3: { url: emulators.s3Url, anonymous: true },
        firehose: this.firehose.handle,
        sqs: this.sqs.handle,
        glue: jsonProtocolService('Glue', this.glue.operations),
        batch: this.batch.handle,
        states: jsonProtocolService('Step Functions', this.stepFunctions.operations, 'application/x-amz-json-1.0'),
        sagemaker: this.sageMaker.handle,
        ssm: this.ssm.handle,
        secretsmanager: this.secretsManager.handle,
        cloudformation: this.cloudFormation.handle,
        local: (req, res, body) => this.admin(req.method ?? 'GET', req.url ?? '/', body, res),
      },
      this.faults,
      this.usage,
    );
    const edgePort = await listen(edge, this.options.port, 'edge endpoint');
    this.closables.push(closeServer(edge));
    this.edgeUrl = `http://localhost:${edgePort}`;
    this.firehose.start();
    this.closables.push({ close: () => this.firehose.stop() });
    // Function URLs get an origin of their own, as on AWS (the template may declare none; the server costs nothing idle).
    const urlPort = await listen(this.functionUrls.server, 0, 'function URLs');
    this.closables.push(closeServer(this.functionUrls.server));
    this.functionUrls.base = `http://localhost:${urlPort}`;
  }

  /** The tracker and the demo storefront, on an origin of their own (so the demo's calls to the API are cross-origin, as on a real site). */
  private async startSite(apiUrl: string): Promise<string> {
    this.log('building the tracker and the demo storefront');
    const ops = opsData({
      outputs: () => this.outputs ?? {},
      functionLog: path.join(this.options.dataDir, 'logs', 'offline.log'),
      mappings: () => this.mappings,
      firehoseBuffers: () => this.firehose.buffers(),
    });
    const site = await createSite(this.options.root, () => apiUrl, ops);
    const port = await listen(site, this.options.sitePort ?? 0, 'demo site');
    this.closables.push(closeServer(site));
    return `http://localhost:${port}`;
  }

  /** The environment of sls (package, offline): the local cloud's endpoint and credentials, the API's ports, the demo's origin (CORS). */
  private childEnv(apiPort: number, lambdaPort: number, siteUrl: string): NodeJS.ProcessEnv {
    return {
      ...process.env,
      ...LOCAL_CREDENTIALS,
      AWS_ENDPOINT_URL: this.edgeUrl,
      API_PORT: String(apiPort),
      LAMBDA_PORT: String(lambdaPort),
      DEMO_ORIGIN: siteUrl,
      // A pattern no file matches: serverless-esbuild then watches nothing.
      ...(this.options.hotReload === false ? { SLS_ESBUILD_WATCH_PATTERN: '.no-hot-reload/**' } : {}),
    };
  }

  private workFolder(name: string) {
    return { SLS_ESBUILD_WORK_FOLDER: path.relative(this.options.root, path.join(this.options.dataDir, name)) };
  }

  private packageTemplate(env: NodeJS.ProcessEnv): Promise<Template> {
    this.log('packaging serverless.yml (stage local)');
    return packageTemplate(
      this.options.root,
      path.join(this.options.dataDir, 'package'),
      { ...env, ...this.workFolder('esbuild-package') },
      this.options.params,
    );
  }

  /** What the template declares, created by one provisioner per resource type (local/provision/). */
  private async createResources(template: Template): Promise<IntrinsicResolver> {
    this.log('creating the resources the template declares');
    const client = { ...LOCAL_CLIENT, endpoint: this.edgeUrl };
    const clients = {
      kinesis: new KinesisClient({ ...client, requestHandler: new NodeHttpHandler() }),
      dynamodb: new DynamoDBClient(client),
      s3: new S3Client({ ...client, forcePathStyle: true }),
    };
    try {
      return await provision(template, {
        region: REGION,
        accountId: ACCOUNT_ID,
        stackName: STACK_NAME,
        edgeUrl: this.edgeUrl,
        clients,
        services: {
          firehose: this.firehose,
          sqs: this.sqs,
          ssm: this.ssm,
          secretsManager: this.secretsManager,
          glue: this.glue,
          batch: this.batch,
          stepFunctions: this.stepFunctions,
          functionUrls: this.functionUrls,
        },
      });
    } catch (error) {
      if (error instanceof ProvisionError) throw new LocalCloudError(error.message, { cause: error });
      throw error;
    } finally {
      for (const c of Object.values(clients)) c.destroy();
    }
  }

  private async startHttpApi(env: NodeJS.ProcessEnv, apiPort: number, lambdaPort: number): Promise<void> {
    const { root, dataDir } = this.options;
    this.log('starting the HTTP API (serverless-offline)');
    const logFile = path.join(dataDir, 'logs', 'offline.log');
    // The API's output goes straight to its log file: through a pipe into this process, a busy moment here would
    // block its writes (pipe writes are synchronous on Linux) and with them every function it runs.
    const logFd = openSync(logFile, 'a');
    this.closables.push({ close: async () => closeSync(logFd) });
    this.offline = spawn(path.join(root, 'node_modules', '.bin', 'sls'), ['offline', 'start', '--stage', 'local', ...paramArgs(this.options.params)], {
      cwd: root,
      env: { ...env, ...this.workFolder('esbuild-offline') },
      stdio: ['ignore', logFd, logFd],
      detached: true,
    });
    writeFileSync(path.join(dataDir, 'cloud.lock'), JSON.stringify({ pid: process.pid, offlinePid: this.offline.pid }));
    await waitForPort(apiPort, this.offline, logFile, 120_000);
    await waitForPort(lambdaPort, this.offline, logFile, 30_000);
  }

  private startMappings(template: Template, resolver: IntrinsicResolver, invoke: Invoke): void {
    const started = startMappings(template, resolver, {
      region: REGION,
      edgeUrl: this.edgeUrl,
      checkpointFile: path.join(this.options.dataDir, 'esm-checkpoints.json'),
      invoke,
      faults: this.faults,
      sqs: this.sqs,
      log: this.log,
    });
    this.mappings = started.mappings;
    this.closables.push(started);
  }

  /** The stack's outputs, as `sls deploy` would print them (plus the local endpoints), kept in stack-outputs.json. */
  private writeOutputs(template: Template, resolver: IntrinsicResolver, apiPort: number, siteUrl: string, lambdaPort: number): void {
    const outputs: Record<string, string> = {};
    for (const [key, output] of Object.entries(template.Outputs ?? {})) {
      try {
        outputs[key] = String(resolver.resolve(output.Value));
      } catch {
        // Outputs of resources the local cloud does not create (deployment bucket, versions) are left out.
      }
    }
    const apiUrl = `http://localhost:${apiPort}`;
    this.outputs = {
      ...outputs,
      HttpApiUrl: apiUrl,
      Endpoint: this.edgeUrl,
      ApiUrl: apiUrl,
      // Lambda's Invoke API for the stack's functions (serverless-offline's), as the mappings and state machines call them.
      LambdaEndpoint: `http://127.0.0.1:${lambdaPort}`,
      DemoUrl: `${siteUrl}/demo/`,
      OpsUrl: `${siteUrl}/ops/`,
      TrackerUrl: `${siteUrl}/tracker/clickstream.min.js`,
    };
    writeFileSync(path.join(this.options.dataDir, 'stack-outputs.json'), `${JSON.stringify(this.outputs, null, 2)}\n`);
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
    if (url === '/_local/usage' && method === 'DELETE') {
      this.resetUsage();
      return sendJson(res, 200, { reset: true }, 'application/json');
    }
    if (url === '/_local/usage') return sendJson(res, 200, this.usageReport(), 'application/json');
    if (url === '/_local/drain' && method === 'POST') {
      await this.drain();
      return sendJson(res, 200, { drained: true }, 'application/json');
    }
    sendJson(res, 404, { message: `unknown local endpoint ${method} ${url}` }, 'application/json');
  }

  resetUsage(): void {
    this.usage.reset();
    this.usageLogOffset = this.functionLog().length;
  }

  /** Service usage since the last reset, with each function's invocations and billed milliseconds. */
  usageReport() {
    return { ...this.usage.snapshot(), lambda: lambdaDurations(this.functionLog().subarray(this.usageLogOffset).toString('utf8')) };
  }

  private functionLog(): Buffer {
    const file = path.join(this.options.dataDir, 'logs', 'offline.log');
    return existsSync(file) ? readFileSync(file) : Buffer.alloc(0);
  }

  /**
   * The mappings the lake waits for. A tumbling-window mapping (real-time analytics) is not one: by design it holds
   * records until its window closes, so whoever wants its figures waits for those (`npm start` does).
   */
  private lakeMappings() {
    return this.mappings.filter((m) => !m.windowed);
  }

  /** Waits until every stream record has been handled by the lake's mappings and every Firehose buffer is written to S3. */
  async drain(timeoutMs = 120_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const caughtUp = (await Promise.all(this.lakeMappings().map((m) => m.caughtUp()))).every(Boolean);
      if (caughtUp) {
        await this.firehose.flush(true);
        if (this.firehose.pendingRecords() === 0) return;
      }
      await sleep(250);
    }
    const behind = [];
    for (const m of this.lakeMappings()) if (!(await m.caughtUp())) behind.push(`${m.functionName} has stream records left (${JSON.stringify(m.stats)})`);
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
