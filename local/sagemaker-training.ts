import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { tarGz } from '#shared/tar';
import { AwsJsonError } from './aws-json';
import type { FaultInjector } from './faults';

/** Debian's python3-xgboost is installed for the system Python; XGBOOST_PYTHON points elsewhere. */
export const XGBOOST_PYTHON = process.env.XGBOOST_PYTHON ?? '/usr/bin/python3';
export const XGBOOST_INSTALL = 'apt-get install -y python3-xgboost (Debian/Ubuntu); or set XGBOOST_PYTHON to a Python that has xgboost';
const ALGORITHM = path.resolve(__dirname, 'sagemaker-xgboost', 'train.py');

/** The XGBoost version the local training container would run, or undefined when it is not installed. */
export function xgboostVersion(): string | undefined {
  const probe = spawnSync(XGBOOST_PYTHON, ['-c', 'import xgboost; print(xgboost.__version__)'], { encoding: 'utf8' });
  return probe.status === 0 ? probe.stdout.trim() : undefined;
}

export interface AlgorithmRun {
  exitCode: number;
  failure?: string;
  /** The algorithm's closing JSON line (rounds, best iteration, seconds, peak memory). */
  summary?: { rounds: number; best_iteration: number | null; rows: Record<string, number>; seconds: number; peak_memory_mb: number };
  /** The last evaluation line's metrics, as SageMaker reports them (`validation:logloss`). */
  metrics: Record<string, number>;
}

/**
 * Runs the built-in XGBoost algorithm's container program (local/sagemaker-xgboost/train.py) over a job
 * directory laid out as /opt/ml: input/config/*.json and input/data/<channel>/ in, model/xgboost-model out.
 */
export function runXgboostAlgorithm(
  root: string,
  channels: Record<string, { ContentType?: string }>,
  hyperParameters: Record<string, string>,
  logFile: string,
  onChild: (child: ChildProcess) => void = () => undefined,
): Promise<AlgorithmRun> {
  mkdirSync(path.join(root, 'input', 'config'), { recursive: true });
  writeFileSync(path.join(root, 'input', 'config', 'hyperparameters.json'), JSON.stringify(hyperParameters));
  writeFileSync(path.join(root, 'input', 'config', 'inputdataconfig.json'), JSON.stringify(channels));
  mkdirSync(path.dirname(logFile), { recursive: true });
  const log = createWriteStream(logFile, { flags: 'a' });
  return new Promise((resolve) => {
    const child = spawn(XGBOOST_PYTHON, [ALGORITHM], { env: { PATH: process.env.PATH ?? '', SM_ROOT: root }, stdio: ['ignore', 'pipe', 'pipe'] });
    onChild(child);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => {
      stdout = (stdout + c.toString('utf8')).slice(-100_000);
      log.write(c);
    });
    child.stderr.on('data', (c: Buffer) => {
      stderr = (stderr + c.toString('utf8')).slice(-100_000);
      log.write(c);
    });
    const done = (exitCode: number) => {
      log.end();
      let failure: string | undefined;
      try {
        failure = readFileSync(path.join(root, 'output', 'failure'), 'utf8');
      } catch {
        failure = exitCode === 0 ? undefined : stderr.trim().split('\n').slice(-3).join(' | ') || `the algorithm exited with code ${exitCode}`;
      }
      const lines = stdout.trim().split('\n');
      const last = lines.at(-1) ?? '';
      const summary = exitCode === 0 && last.startsWith('{') ? (JSON.parse(last) as AlgorithmRun['summary']) : undefined;
      // XGBoost's evaluation log ("[12]\ttrain-logloss:0.31\tvalidation-logloss:0.35") is on stderr or stdout.
      const evalLines = `${stdout}\n${stderr}`.split('\n').filter((l) => /^\[\d+\]\t/.test(l));
      const wanted = summary?.best_iteration ?? undefined;
      const line = (wanted === undefined ? undefined : evalLines.find((l) => l.startsWith(`[${wanted}]\t`))) ?? evalLines.at(-1);
      const metrics: Record<string, number> = {};
      for (const pair of line?.split('\t').slice(1) ?? []) {
        const [name, value] = pair.split(':');
        if (name && value) metrics[name.replace('-', ':')] = Number(value);
      }
      resolve({ exitCode, ...(failure ? { failure } : {}), ...(summary ? { summary } : {}), metrics });
    };
    child.on('error', (error) => {
      stderr += `${error.message} (${XGBOOST_INSTALL})`;
      done(127);
    });
    child.on('close', (code, signal) => done(code ?? (signal ? 137 : 1)));
  });
}

type Status = 'InProgress' | 'Completed' | 'Failed' | 'Stopping' | 'Stopped';

interface Channel {
  ChannelName: string;
  DataSource: { S3DataSource: { S3DataType?: string; S3Uri: string; S3DataDistributionType?: string } };
  ContentType?: string;
  CompressionType?: string;
}

interface CreateTrainingJobRequest {
  TrainingJobName: string;
  AlgorithmSpecification: { TrainingImage: string; TrainingInputMode?: string };
  RoleArn: string;
  InputDataConfig?: Channel[];
  OutputDataConfig: { S3OutputPath: string; KmsKeyId?: string };
  ResourceConfig: { InstanceType: string; InstanceCount: number; VolumeSizeInGB: number };
  StoppingCondition: { MaxRuntimeInSeconds?: number };
  HyperParameters?: Record<string, string>;
}

interface TrainingJob {
  request: CreateTrainingJobRequest;
  arn: string;
  status: Status;
  secondary: string;
  transitions: { Status: string; StartTime: number; EndTime?: number; StatusMessage: string }[];
  failureReason?: string;
  created: number;
  started?: number;
  ended?: number;
  modified: number;
  metrics: Record<string, number>;
  child?: ChildProcess;
}

export interface LocalTrainingJobsOptions {
  dataDir: string;
  region: string;
  accountId: string;
  s3: S3Client;
  faults: FaultInjector;
  log: (line: string) => void;
}

const NAME = /^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$/;
const s3Uri = (uri: string) => {
  const match = /^s3:\/\/([^/]+)\/?(.*)$/.exec(uri);
  if (!match) throw new AwsJsonError('ValidationException', `${uri} is not an s3:// URI.`);
  return { bucket: match[1]!, key: match[2]! };
};

/**
 * SageMaker training jobs (CreateTrainingJob, DescribeTrainingJob, StopTrainingJob): the job's channels are
 * staged from S3 (S3Prefix; one instance, so ShardedByS3Key gives it every object), the built-in XGBoost
 * algorithm runs as a child process, and model/ is uploaded as <S3OutputPath>/<job>/output/model.tar.gz, with
 * the statuses, secondary statuses and final metrics DescribeTrainingJob shows on AWS. Only the built-in XGBoost
 * image is run; an instance count above one runs as one process (the data is the same, the speed is not).
 */
export class LocalTrainingJobs {
  private readonly jobs = new Map<string, TrainingJob>();

  constructor(private readonly options: LocalTrainingJobsOptions) {}

  stop(): void {
    for (const job of this.jobs.values()) job.child?.kill('SIGTERM');
  }

  private arn(name: string) {
    return `arn:aws:sagemaker:${this.options.region}:${this.options.accountId}:training-job/${name.toLowerCase()}`;
  }

  private job(name: string): TrainingJob {
    const job = this.jobs.get(name);
    if (!job) throw new AwsJsonError('ValidationException', 'Requested resource not found.');
    return job;
  }

  private set(job: TrainingJob, status: Status, secondary: string, message: string) {
    const now = Date.now() / 1000;
    const open = job.transitions.at(-1);
    if (open && open.EndTime === undefined) open.EndTime = now;
    job.status = status;
    job.secondary = secondary;
    job.modified = now;
    job.transitions.push({ Status: secondary, StartTime: now, StatusMessage: message });
    if (status !== 'InProgress' && status !== 'Stopping') {
      job.ended = now;
      job.transitions.at(-1)!.EndTime = now;
    }
  }

  readonly operations: Record<string, (input: any) => unknown> = {
    CreateTrainingJob: (request: CreateTrainingJobRequest) => {
      const name = request.TrainingJobName;
      if (typeof name !== 'string' || !NAME.test(name))
        throw new AwsJsonError(
          'ValidationException',
          `Value '${name}' at 'trainingJobName' failed to satisfy constraint: Member must satisfy regular expression pattern: ${NAME.source}`,
        );
      if (this.jobs.has(name))
        throw new AwsJsonError(
          'ResourceInUse',
          `Training job names must be unique within an AWS account and region, and a training job with this name already exists (${this.arn(name)})`,
        );
      if (!request.AlgorithmSpecification?.TrainingImage?.includes('xgboost'))
        throw new AwsJsonError(
          'ValidationException',
          `The local stand-in runs the built-in XGBoost algorithm only, not ${request.AlgorithmSpecification?.TrainingImage}.`,
        );
      if (!request.RoleArn) throw new AwsJsonError('ValidationException', 'RoleArn is required.');
      if (!request.OutputDataConfig?.S3OutputPath) throw new AwsJsonError('ValidationException', 'OutputDataConfig.S3OutputPath is required.');
      const count = request.ResourceConfig?.InstanceCount;
      if (!Number.isInteger(count) || count < 1)
        throw new AwsJsonError('ValidationException', `ResourceConfig.InstanceCount must be an integer ≥ 1, got ${JSON.stringify(count)}.`);
      for (const [k, v] of Object.entries(request.HyperParameters ?? {}))
        if (typeof v !== 'string') throw new AwsJsonError('ValidationException', `HyperParameters.${k} must be a string.`);
      const now = Date.now() / 1000;
      const job: TrainingJob = {
        request,
        arn: this.arn(name),
        status: 'InProgress',
        secondary: 'Starting',
        transitions: [],
        created: now,
        modified: now,
        metrics: {},
      };
      this.set(job, 'InProgress', 'Starting', 'Launching requested ML instances');
      this.jobs.set(name, job);
      this.run(job).catch((error: Error) => {
        this.set(job, 'Failed', 'Failed', error.message);
        job.failureReason = `ClientError: ${error.message}`;
        this.options.log(`[sagemaker] training job ${name} failed: ${error.message}`);
      });
      return { TrainingJobArn: job.arn };
    },
    DescribeTrainingJob: ({ TrainingJobName }: { TrainingJobName: string }) => this.describe(this.job(TrainingJobName)),
    StopTrainingJob: ({ TrainingJobName }: { TrainingJobName: string }) => {
      const job = this.job(TrainingJobName);
      if (job.status !== 'InProgress') throw new AwsJsonError('ValidationException', `The training job ${TrainingJobName} is not in progress (${job.status}).`);
      this.set(job, 'Stopping', 'Stopping', 'Stopping the training job');
      job.child?.kill('SIGTERM');
      return {};
    },
  };

  private describe(job: TrainingJob) {
    const r = job.request;
    const output = r.OutputDataConfig.S3OutputPath.replace(/\/+$/, '');
    const seconds = job.started !== undefined && job.ended !== undefined ? Math.max(1, Math.round(job.ended - job.started)) : undefined;
    return {
      TrainingJobName: r.TrainingJobName,
      TrainingJobArn: job.arn,
      TrainingJobStatus: job.status,
      SecondaryStatus: job.secondary,
      ...(job.failureReason ? { FailureReason: job.failureReason } : {}),
      ...(job.status === 'Completed' ? { ModelArtifacts: { S3ModelArtifacts: `${output}/${r.TrainingJobName}/output/model.tar.gz` } } : {}),
      HyperParameters: r.HyperParameters ?? {},
      AlgorithmSpecification: { TrainingInputMode: 'File', ...r.AlgorithmSpecification },
      RoleArn: r.RoleArn,
      InputDataConfig: r.InputDataConfig ?? [],
      OutputDataConfig: r.OutputDataConfig,
      ResourceConfig: r.ResourceConfig,
      StoppingCondition: r.StoppingCondition,
      CreationTime: job.created,
      ...(job.started !== undefined ? { TrainingStartTime: job.started } : {}),
      ...(job.ended !== undefined ? { TrainingEndTime: job.ended } : {}),
      LastModifiedTime: job.modified,
      SecondaryStatusTransitions: job.transitions,
      FinalMetricDataList: Object.entries(job.metrics).map(([MetricName, Value]) => ({ MetricName, Value, Timestamp: job.ended ?? job.modified })),
      ...(seconds !== undefined ? { TrainingTimeInSeconds: seconds, BillableTimeInSeconds: seconds * r.ResourceConfig.InstanceCount } : {}),
    };
  }

  private async run(job: TrainingJob): Promise<void> {
    const r = job.request;
    const root = path.join(this.options.dataDir, 'sagemaker', 'training', r.TrainingJobName);
    rmSync(root, { recursive: true, force: true });
    this.set(job, 'InProgress', 'Downloading', 'Downloading input data');
    const channels: Record<string, { ContentType?: string }> = {};
    for (const channel of r.InputDataConfig ?? []) {
      const { bucket, key: prefix } = s3Uri(channel.DataSource.S3DataSource.S3Uri);
      const dir = path.join(root, 'input', 'data', channel.ChannelName);
      mkdirSync(dir, { recursive: true });
      let token: string | undefined;
      let objects = 0;
      do {
        const page = await this.options.s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
        for (const object of page.Contents ?? []) {
          const body = await this.options.s3.send(new GetObjectCommand({ Bucket: bucket, Key: object.Key! }));
          writeFileSync(path.join(dir, `${String(objects++).padStart(5, '0')}-${path.basename(object.Key!)}`), await body.Body!.transformToByteArray());
        }
        token = page.NextContinuationToken;
      } while (token);
      if (objects === 0) throw new Error(`No objects under ${channel.DataSource.S3DataSource.S3Uri} (channel ${channel.ChannelName}).`);
      channels[channel.ChannelName] = { ContentType: channel.ContentType ?? 'text/libsvm' };
    }
    job.started = Date.now() / 1000;
    this.set(job, 'InProgress', 'Training', 'Training image download completed. Training in progress.');
    const limit = r.StoppingCondition?.MaxRuntimeInSeconds;
    let timedOut = false;
    const timer = limit ? setTimeout(() => ((timedOut = true), job.child?.kill('SIGTERM')), limit * 1000) : undefined;
    const result = this.options.faults.takeFailure('sagemaker', 'TrainingJob')
      ? { exitCode: 1, failure: 'Injected fault (local cloud): the training container failed.', metrics: {} }
      : await runXgboostAlgorithm(
          root,
          channels,
          r.HyperParameters ?? {},
          path.join(this.options.dataDir, 'logs', 'sagemaker', `${r.TrainingJobName}.log`),
          (child) => (job.child = child),
        );
    clearTimeout(timer);
    job.child = undefined;
    job.metrics = result.metrics;
    if (job.status === 'Stopping' || timedOut) {
      this.set(
        job,
        'Stopped',
        timedOut ? 'MaxRuntimeExceeded' : 'Stopped',
        timedOut ? `Training job exceeded MaxRuntimeInSeconds (${limit})` : 'Training job stopped',
      );
      this.options.log(`[sagemaker] training job ${r.TrainingJobName}: Stopped`);
      return;
    }
    if (result.exitCode !== 0) {
      job.failureReason = `AlgorithmError: ${result.failure ?? `exit code ${result.exitCode}`}`;
      this.set(job, 'Failed', 'Failed', 'Training job failed');
      this.options.log(`[sagemaker] training job ${r.TrainingJobName}: Failed (${job.failureReason})`);
      return;
    }
    this.set(job, 'InProgress', 'Uploading', 'Uploading generated training model');
    const modelDir = path.join(root, 'model');
    const files = Object.fromEntries(readdirSync(modelDir).map((f) => [f, readFileSync(path.join(modelDir, f))]));
    const { bucket, key } = s3Uri(`${r.OutputDataConfig.S3OutputPath.replace(/\/+$/, '')}/${r.TrainingJobName}/output/model.tar.gz`);
    await this.options.s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: tarGz(files), ContentType: 'application/x-tar' }));
    this.set(job, 'Completed', 'Completed', 'Training job completed');
    this.options.log(`[sagemaker] training job ${r.TrainingJobName}: Completed`);
  }
}
