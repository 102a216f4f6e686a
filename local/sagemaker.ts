import { GetObjectCommand } from '@aws-sdk/client-s3';
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { untarGz } from '#shared/tar';
import { AwsJsonError, jsonProtocolService, sendJson } from './aws-json';
import { InjectedFault } from './faults';
import { sleep } from '#shared/retry';
import { LocalTrainingJobs, type LocalTrainingJobsOptions } from './sagemaker-training';

interface Endpoint {
  EndpointName: string;
  EndpointConfigName: string;
  EndpointStatus: 'Creating' | 'InService' | 'Failed' | 'Deleting';
  FailureReason?: string;
  CreationTime: number;
  port?: number;
  child?: ChildProcess;
}

export interface LocalSageMakerOptions extends LocalTrainingJobsOptions {
  root: string;
}

const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });

/**
 * The SageMaker stand-in: training jobs (the built-in XGBoost algorithm, local/sagemaker-training.ts), the
 * control plane the models CLI uses to deploy an endpoint (CreateModel,
 * CreateEndpointConfig, CreateEndpoint, DescribeEndpoint, DeleteEndpoint, ListEndpoints; JSON protocol) and the
 * runtime's InvokeEndpoint (POST /endpoints/{name}/invocations). An endpoint is the serving container's program
 * (serving/server.ts) run as a child process with the model's model.tar.gz unpacked as its /opt/ml/model, so
 * the container contract (/ping, /invocations) is exercised for real; only the Docker image is not.
 */
export class LocalSageMaker {
  private readonly models = new Map<string, { ModelDataUrl: string; Image: string }>();
  private readonly configs = new Map<string, { ModelName: string }>();
  private readonly endpoints = new Map<string, Endpoint>();

  /** Training jobs (local/sagemaker-training.ts). */
  readonly training: LocalTrainingJobs;

  constructor(private readonly options: LocalSageMakerOptions) {
    this.training = new LocalTrainingJobs(options);
    Object.assign(this.operations, this.training.operations);
  }

  private arn(kind: string, name: string) {
    return `arn:aws:sagemaker:${this.options.region}:${this.options.accountId}:${kind}/${name.toLowerCase()}`;
  }

  readonly operations: Record<string, (input: any) => unknown> = {
    CreateModel: ({ ModelName, PrimaryContainer }: { ModelName: string; PrimaryContainer?: { Image: string; ModelDataUrl?: string } }) => {
      if (this.models.has(ModelName)) throw new AwsJsonError('ValidationException', `Cannot create already existing model "${this.arn('model', ModelName)}".`);
      if (!PrimaryContainer?.ModelDataUrl)
        throw new AwsJsonError('ValidationException', 'PrimaryContainer.ModelDataUrl is required (the local stand-in serves model artifacts).');
      this.models.set(ModelName, { ModelDataUrl: PrimaryContainer.ModelDataUrl, Image: PrimaryContainer.Image });
      return { ModelArn: this.arn('model', ModelName) };
    },
    CreateEndpointConfig: ({ EndpointConfigName, ProductionVariants }: { EndpointConfigName: string; ProductionVariants: { ModelName: string }[] }) => {
      if (this.configs.has(EndpointConfigName))
        throw new AwsJsonError(
          'ValidationException',
          `Cannot create already existing endpoint configuration "${this.arn('endpoint-config', EndpointConfigName)}".`,
        );
      const modelName = ProductionVariants?.[0]?.ModelName;
      if (!modelName || !this.models.has(modelName))
        throw new AwsJsonError('ValidationException', `Could not find model "${this.arn('model', modelName ?? '')}".`);
      this.configs.set(EndpointConfigName, { ModelName: modelName });
      return { EndpointConfigArn: this.arn('endpoint-config', EndpointConfigName) };
    },
    CreateEndpoint: ({ EndpointName, EndpointConfigName }: { EndpointName: string; EndpointConfigName: string }) => {
      if (this.endpoints.has(EndpointName))
        throw new AwsJsonError('ValidationException', `Cannot create already existing endpoint "${this.arn('endpoint', EndpointName)}".`);
      const config = this.configs.get(EndpointConfigName);
      if (!config) throw new AwsJsonError('ValidationException', `Could not find endpoint configuration "${this.arn('endpoint-config', EndpointConfigName)}".`);
      const endpoint: Endpoint = { EndpointName, EndpointConfigName, EndpointStatus: 'Creating', CreationTime: Date.now() / 1000 };
      this.endpoints.set(EndpointName, endpoint);
      this.start(endpoint, this.models.get(config.ModelName)!.ModelDataUrl).catch((error: Error) => {
        endpoint.EndpointStatus = 'Failed';
        endpoint.FailureReason = error.message;
        this.options.log(`[sagemaker] endpoint ${EndpointName} failed: ${error.message}`);
      });
      return { EndpointArn: this.arn('endpoint', EndpointName) };
    },
    DescribeEndpoint: ({ EndpointName }: { EndpointName: string }) => {
      const e = this.endpoints.get(EndpointName);
      if (!e) throw new AwsJsonError('ValidationException', `Could not find endpoint "${this.arn('endpoint', EndpointName)}".`);
      return {
        EndpointName,
        EndpointArn: this.arn('endpoint', EndpointName),
        EndpointConfigName: e.EndpointConfigName,
        EndpointStatus: e.EndpointStatus,
        CreationTime: e.CreationTime,
        ...(e.FailureReason ? { FailureReason: e.FailureReason } : {}),
      };
    },
    ListEndpoints: () => ({
      Endpoints: [...this.endpoints.values()].map((e) => ({
        EndpointName: e.EndpointName,
        EndpointArn: this.arn('endpoint', e.EndpointName),
        EndpointStatus: e.EndpointStatus,
        CreationTime: e.CreationTime,
      })),
    }),
    DeleteEndpoint: ({ EndpointName }: { EndpointName: string }) => {
      const e = this.endpoints.get(EndpointName);
      if (!e) throw new AwsJsonError('ValidationException', `Could not find endpoint "${this.arn('endpoint', EndpointName)}".`);
      e.child?.kill('SIGTERM');
      this.endpoints.delete(EndpointName);
      return {};
    },
  };

  private async start(endpoint: Endpoint, modelDataUrl: string): Promise<void> {
    const match = /^s3:\/\/([^/]+)\/(.+)$/.exec(modelDataUrl);
    if (!match) throw new Error(`ModelDataUrl ${modelDataUrl} is not an s3:// URI.`);
    const object = await this.options.s3.send(new GetObjectCommand({ Bucket: match[1], Key: match[2] }));
    const files = untarGz(Buffer.from(await object.Body!.transformToByteArray()));
    const modelDir = path.join(this.options.dataDir, 'sagemaker', endpoint.EndpointName, 'model');
    rmSync(modelDir, { recursive: true, force: true });
    mkdirSync(modelDir, { recursive: true });
    for (const [name, body] of Object.entries(files)) writeFileSync(path.join(modelDir, path.basename(name)), body);
    const port = await freePort();
    const log = createWriteStream(path.join(this.options.dataDir, 'logs', `sagemaker-${endpoint.EndpointName}.log`), { flags: 'a' });
    const child = spawn(path.join(this.options.root, 'node_modules', '.bin', 'tsx'), ['serving/server.ts', 'serve'], {
      cwd: this.options.root,
      env: { PATH: process.env.PATH ?? '', SM_MODEL_DIR: modelDir, SAGEMAKER_BIND_TO_PORT: String(port) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout.pipe(log);
    child.stderr.pipe(log);
    endpoint.child = child;
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      if (child.exitCode !== null)
        throw new Error(`the serving container exited (code ${child.exitCode}); see .local/logs/sagemaker-${endpoint.EndpointName}.log`);
      const healthy = await new Promise<boolean>((resolve) =>
        http.get({ host: '127.0.0.1', port, path: '/ping' }, (res) => resolve(res.statusCode === 200)).on('error', () => resolve(false)),
      );
      if (healthy) {
        endpoint.port = port;
        endpoint.EndpointStatus = 'InService';
        this.options.log(`[sagemaker] endpoint ${endpoint.EndpointName} InService`);
        return;
      }
      await sleep(250);
    }
    child.kill('SIGKILL');
    throw new Error('the serving container did not answer GET /ping within 60 s');
  }

  /** Control plane (X-Amz-Target SageMaker.*) or runtime (POST /endpoints/{name}/invocations). */
  readonly handle = async (req: IncomingMessage, res: ServerResponse, body: Buffer): Promise<void> => {
    if (req.headers['x-amz-target']) return jsonProtocolService('SageMaker', this.operations)(req, res, body);
    const name = /^\/endpoints\/([^/]+)\/invocations$/.exec(new URL(req.url ?? '/', 'http://edge').pathname)?.[1];
    const fail = (status: number, type: string, message: string) => {
      res.setHeader('x-amzn-errortype', type);
      sendJson(res, status, { message }, 'application/json');
    };
    if (!name) return fail(404, 'UnknownOperationException', `SageMaker runtime (local) does not implement ${req.method} ${req.url}.`);
    const endpoint = this.endpoints.get(decodeURIComponent(name));
    if (!endpoint || endpoint.EndpointStatus !== 'InService')
      return fail(400, 'ValidationError', `Endpoint ${decodeURIComponent(name)} of account ${this.options.accountId} not found.`);
    try {
      this.options.faults.throwIfInjected('sagemaker', 'InvokeEndpoint', [body]);
    } catch (error) {
      if (error instanceof InjectedFault) return fail(error.status, error.type, error.message);
      throw error;
    }
    await new Promise<void>((resolve) => {
      const upstream = http.request(
        {
          host: '127.0.0.1',
          port: endpoint.port,
          path: '/invocations',
          method: 'POST',
          headers: { 'content-type': String(req.headers['content-type'] ?? 'application/json'), 'content-length': body.length },
        },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (c: Buffer) => chunks.push(c));
          response.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            if (response.statusCode === 200) {
              res.writeHead(200, { 'content-type': 'application/json', 'x-amzn-invoked-production-variant': 'AllTraffic' });
              res.end(text);
            } else fail(424, 'ModelError', JSON.stringify({ OriginalStatusCode: response.statusCode, OriginalMessage: text }));
            resolve();
          });
        },
      );
      upstream.on('error', (error) => {
        fail(424, 'ModelError', `The serving container did not answer: ${error.message}`);
        resolve();
      });
      upstream.end(body);
    });
  };

  async stop(): Promise<void> {
    for (const e of this.endpoints.values()) e.child?.kill('SIGTERM');
    this.training.stop();
  }
}
