import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import { AwsJsonError, sendJson } from './aws-json';
import { runChild } from './child-job';
import { InjectedFault, type FaultInjector } from './faults';

/** AWS::Batch::JobDefinition properties (resolved) — what the stand-in needs to run a job. */
export interface JobDefinitionSpec {
  JobDefinitionName: string;
  Parameters?: Record<string, string>;
  ContainerProperties: { Command?: string[]; Environment?: { Name: string; Value: string }[] };
}

type JobStatus = 'SUBMITTED' | 'PENDING' | 'RUNNABLE' | 'STARTING' | 'RUNNING' | 'SUCCEEDED' | 'FAILED';

export interface BatchJob {
  jobId: string;
  jobArn: string;
  jobName: string;
  jobQueue: string;
  jobDefinition: string;
  status: JobStatus;
  statusReason?: string;
  parameters: Record<string, string>;
  createdAt: number;
  startedAt?: number;
  stoppedAt?: number;
  container: { command: string[]; exitCode?: number; reason?: string; logStreamName: string };
}

export interface LocalBatchOptions {
  root: string;
  dataDir: string;
  region: string;
  accountId: string;
  /** Environment every job gets on top of its definition's (endpoint, credentials). */
  env: () => Record<string, string>;
  faults: FaultInjector;
  log: (line: string) => void;
}

/**
 * The AWS Batch stand-in (REST-JSON, /v1/submitjob, /v1/describejobs, /v1/listjobs): the job queues and
 * definitions of the template; a submitted job runs its definition's command with Ref:: parameters filled in
 * and its environment, as a child process (`node batch/train.js` runs batch/train.ts), through Batch's states.
 */
export class LocalBatch {
  private readonly queues = new Map<string, string>();
  private readonly definitions = new Map<string, JobDefinitionSpec>();
  private readonly jobs = new Map<string, BatchJob>();

  constructor(private readonly options: LocalBatchOptions) {}

  private arn(resource: string): string {
    return `arn:aws:batch:${this.options.region}:${this.options.accountId}:${resource}`;
  }

  createJobQueue(name: string): string {
    const arn = this.arn(`job-queue/${name}`);
    this.queues.set(name, arn).set(arn, arn);
    return arn;
  }

  createJobDefinition(spec: JobDefinitionSpec): string {
    const arn = this.arn(`job-definition/${spec.JobDefinitionName}:1`);
    for (const key of [spec.JobDefinitionName, `${spec.JobDefinitionName}:1`, arn]) this.definitions.set(key, spec);
    return arn;
  }

  submitJob(input: { jobName: string; jobQueue: string; jobDefinition: string; parameters?: Record<string, string> }): BatchJob {
    const queue = this.queues.get(input.jobQueue);
    const definition = this.definitions.get(input.jobDefinition);
    if (!queue) throw new AwsJsonError('ClientException', `Job queue ${input.jobQueue} does not exist.`);
    if (!definition) throw new AwsJsonError('ClientException', `Job definition ${input.jobDefinition} does not exist.`);
    if (!/^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/.test(input.jobName ?? '')) throw new AwsJsonError('ClientException', `Job name ${input.jobName} is not valid.`);
    this.options.faults.throwIfInjected('batch', 'SubmitJob', []);
    const parameters = { ...definition.Parameters, ...input.parameters };
    const command = (definition.ContainerProperties.Command ?? []).map((arg) => arg.replace(/^Ref::(.+)$/, (whole, name: string) => parameters[name] ?? whole));
    const jobId = crypto.randomUUID();
    const job: BatchJob = {
      jobId,
      jobArn: this.arn(`job/${jobId}`),
      jobName: input.jobName,
      jobQueue: queue,
      jobDefinition: this.arn(`job-definition/${definition.JobDefinitionName}:1`),
      status: 'SUBMITTED',
      parameters,
      createdAt: Date.now(),
      container: { command, logStreamName: `${definition.JobDefinitionName}/default/${jobId}` },
    };
    this.jobs.set(jobId, job);
    void this.run(job, definition);
    return job;
  }

  private async run(job: BatchJob, definition: JobDefinitionSpec): Promise<void> {
    job.status = 'RUNNING';
    job.startedAt = Date.now();
    const env = {
      ...Object.fromEntries((definition.ContainerProperties.Environment ?? []).map((e) => [e.Name, e.Value])),
      ...this.options.env(),
      AWS_BATCH_JOB_ID: job.jobId,
      AWS_BATCH_JQ_NAME: job.jobQueue.split('/').pop()!,
      AWS_BATCH_JOB_ATTEMPT: '1',
    };
    const result = this.options.faults.takeFailure('batch', 'Job')
      ? { exitCode: 1, errorTail: 'Injected fault (local cloud): the container failed.' }
      : await runChild(this.options.root, job.container.command, env, path.join(this.options.dataDir, 'logs', 'batch', `${job.jobName}-${job.jobId}.log`));
    job.stoppedAt = Date.now();
    job.container.exitCode = result.exitCode;
    job.status = result.exitCode === 0 ? 'SUCCEEDED' : 'FAILED';
    if (result.exitCode !== 0) {
      job.statusReason = 'Essential container in task exited';
      job.container.reason = result.errorTail;
    }
    this.options.log(`[batch] job ${job.jobName} (${job.jobId}): ${job.status}`);
  }

  describeJobs(ids: readonly string[]): BatchJob[] {
    return ids.map((id) => this.jobs.get(id.split('/').pop()!)).filter((j): j is BatchJob => j !== undefined);
  }

  /** REST-JSON routes, as the AWS SDK and CLI call them. */
  readonly handle = async (req: IncomingMessage, res: ServerResponse, body: Buffer): Promise<void> => {
    const send = (status: number, payload: unknown, errorType?: string) => {
      if (errorType) res.setHeader('x-amzn-errortype', errorType);
      sendJson(res, status, payload, 'application/json');
    };
    try {
      const input = body.length ? (JSON.parse(body.toString('utf8')) as Record<string, any>) : {};
      switch (new URL(req.url ?? '/', 'http://edge').pathname) {
        case '/v1/submitjob': {
          const job = this.submitJob(input as Parameters<LocalBatch['submitJob']>[0]);
          return send(200, { jobArn: job.jobArn, jobName: job.jobName, jobId: job.jobId });
        }
        case '/v1/describejobs':
          return send(200, { jobs: this.describeJobs(input.jobs ?? []) });
        case '/v1/listjobs':
          return send(200, {
            jobSummaryList: [...this.jobs.values()]
              .filter((j) => !input.jobStatus || j.status === input.jobStatus)
              .map(({ jobId, jobArn, jobName, status, createdAt }) => ({ jobId, jobArn, jobName, status, createdAt })),
          });
        default:
          return send(404, { message: `Batch (local) does not implement ${req.method} ${req.url}.` }, 'ClientException');
      }
    } catch (error) {
      if (error instanceof AwsJsonError || error instanceof InjectedFault) return send(error.status, { message: error.message }, error.type);
      throw error;
    }
  };
}
