import { StateMachine } from 'aws-local-stepfunctions';
import { AwsJsonError } from './aws-json';
import type { LocalBatch } from './batch';
import type { LocalGlue } from './glue/service';
import { sleep } from '#shared/retry';

// aws-local-stepfunctions uses Promise.withResolvers (Node 22); this machine runs Node 20.
if (!('withResolvers' in Promise)) {
  Object.assign(Promise, {
    withResolvers<T>() {
      let resolve!: (value: T | PromiseLike<T>) => void;
      let reject!: (reason?: unknown) => void;
      const promise = new Promise<T>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      return { promise, resolve, reject };
    },
  });
}

type Json = any;
type States = Record<
  string,
  { Type: string; Resource?: string; Retry?: unknown[]; Iterator?: { States: States }; ItemProcessor?: { States: States }; Branches?: { States: States }[] }
>;

interface HistoryEvent {
  id: number;
  previousEventId: number;
  timestamp: number;
  type: string;
  [details: string]: unknown;
}

interface Execution {
  executionArn: string;
  stateMachineArn: string;
  name: string;
  status: 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'ABORTED' | 'TIMED_OUT';
  startDate: number;
  stopDate?: number;
  input: string;
  output?: string;
  error?: string;
  cause?: string;
  events: HistoryEvent[];
  abort: () => void;
}

export interface LocalStepFunctionsOptions {
  region: string;
  accountId: string;
  invokeLambda: (functionName: string, payload: unknown) => Promise<{ functionError?: string; payload: unknown }>;
  glue: LocalGlue;
  batch: LocalBatch;
  /** The SageMaker stand-in's control plane (training jobs). */
  sagemaker: { operations: Record<string, (input: any) => unknown> };
  /** Reads an S3 object (a Distributed Map's ItemReader). */
  readObject: (bucket: string, key: string) => Promise<Buffer>;
  log: (line: string) => void;
  /** Local time is compressed: every Wait state and every retry interval takes this long (ms). */
  waitMs?: number;
  retryMs?: number;
  pollMs?: number;
}

/** An error with the name Step Functions gives it (Retry/Catch match on it) and its cause. */
class TaskError extends Error {
  constructor(name: string, cause: string) {
    super(cause);
    this.name = name;
  }
}

const ITEM_READER = 'arn:aws:states:::local:distributedMapItemReader';

/**
 * aws-local-stepfunctions runs Map states inline and has no ItemReader or ItemBatcher. A Distributed Map that
 * reads a JSON array from S3 is run here as two states: a reader task (the S3 object, cut into the batches the
 * ItemBatcher would make, with its BatchInput) and an inline Map over those batches with the same processor,
 * concurrency, result handling and transition. Other ItemReader kinds are refused when the machine is created.
 */
function localizeDistributedMaps(states: Record<string, any>): Record<string, any> {
  const out: Record<string, any> = {};
  for (const [name, state] of Object.entries(states)) {
    if (state.Type !== 'Map' || !state.ItemReader) {
      out[name] = state.ItemProcessor
        ? { ...state, ItemProcessor: { ...state.ItemProcessor, States: localizeDistributedMaps(state.ItemProcessor.States) } }
        : state;
      continue;
    }
    const reader = state.ItemReader;
    if (reader.Resource !== 'arn:aws:states:::s3:getObject' || reader.ReaderConfig?.InputType !== 'JSON') {
      throw new AwsJsonError(
        'InvalidDefinition',
        `Map state ${name}: the local cloud reads only JSON arrays from S3 (ItemReader s3:getObject, InputType JSON).`,
      );
    }
    const { ItemReader: _r, ItemBatcher: batcher, ToleratedFailurePercentage: _t, ToleratedFailureCount: _c, Label: _l, ResultWriter: _w, ...map } = state;
    out[name] = {
      Type: 'Task',
      Resource: ITEM_READER,
      Parameters: {
        ...reader.Parameters,
        MaxItemsPerBatch: batcher?.MaxItemsPerBatch ?? 1,
        ...(batcher?.BatchInput ? { BatchInput: batcher.BatchInput } : {}),
      },
      ResultPath: '$.localDistributedMapItems',
      Next: `${name}Items`,
    };
    out[`${name}Items`] = {
      ...map,
      ItemsPath: '$.localDistributedMapItems',
      ItemProcessor: { ...map.ItemProcessor, ProcessorConfig: { Mode: 'INLINE' }, States: localizeDistributedMaps(map.ItemProcessor.States) },
    };
  }
  return out;
}
const upperFirst = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

/**
 * The Step Functions stand-in (AWS JSON protocol, X-Amz-Target AWSStepFunctions.*): state machines from the
 * packaged template (DefinitionString with DefinitionSubstitutions filled in, as CloudFormation does), run by
 * aws-local-stepfunctions. Task resources go where AWS would send them: Lambda ARNs to the functions (through
 * serverless-offline), `aws-sdk:glue:*`, `aws-sdk:s3:getObject`, the `.sync` Glue, Batch and SageMaker training
 * integrations to the local Glue, Batch and SageMaker stand-ins, polled to completion. Errors carry Step Functions' names (`Glue.CrawlerRunningException`,
 * `States.TaskFailed`, a Lambda's errorType), so the definition's Retry and Catch act as on AWS.
 */
export class LocalStepFunctions {
  private readonly machines = new Map<string, { name: string; definition: Json; roleArn: string; creationDate: number }>();
  private readonly executions = new Map<string, Execution>();

  constructor(private readonly options: LocalStepFunctionsOptions) {}

  createStateMachine(name: string, definition: Json, roleArn: string): string {
    const arn = `arn:aws:states:${this.options.region}:${this.options.accountId}:stateMachine:${name}`;
    const local = { ...definition, States: localizeDistributedMaps(definition.States) };
    new StateMachine(local, { validationOptions: { checkArn: false } });
    this.machines.set(arn, { name, definition: local, roleArn, creationDate: Date.now() / 1000 });
    return arn;
  }

  private machine(arn: unknown) {
    const machine = this.machines.get(String(arn));
    if (!machine) throw new AwsJsonError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${String(arn)}'`);
    return machine;
  }

  private execution(arn: unknown): Execution {
    const execution = this.executions.get(String(arn));
    if (!execution) throw new AwsJsonError('ExecutionDoesNotExist', `Execution Does Not Exist: '${String(arn)}'`);
    return execution;
  }

  /** Every Task state (nested ones too) → the local handler for its resource. */
  private taskHandlers(states: States, handlers: Record<string, (input: Json) => Promise<Json>> = {}) {
    for (const [name, state] of Object.entries(states)) {
      if (state.Type === 'Task' && state.Resource) handlers[name] = this.handlerFor(state.Resource);
      for (const nested of [state.Iterator, state.ItemProcessor, ...(state.Branches ?? [])]) if (nested) this.taskHandlers(nested.States, handlers);
    }
    return handlers;
  }

  private handlerFor(resource: string): (input: Json) => Promise<Json> {
    const lambda = /^arn:aws:lambda:[^:]+:\d+:function:([^:]+)/.exec(resource);
    if (lambda) return (input) => this.invokeLambda(lambda[1]!, input);
    const sdk = /^arn:aws:states:::aws-sdk:glue:(\w+)$/.exec(resource);
    if (sdk) return async (input) => this.callGlue(upperFirst(sdk[1]!), input);
    if (resource === 'arn:aws:states:::glue:startJobRun.sync') return (input) => this.glueJobSync(input);
    if (resource === 'arn:aws:states:::batch:submitJob.sync') return (input) => this.batchJobSync(input);
    if (resource === 'arn:aws:states:::sagemaker:createTrainingJob.sync') return (input) => this.trainingJobSync(input);
    if (resource === 'arn:aws:states:::aws-sdk:s3:getObject') return (input) => this.getObject(input);
    if (resource === ITEM_READER) return (input) => this.readItems(input);
    return async () => {
      throw new TaskError('States.Runtime', `The local cloud cannot run Task resource ${resource}.`);
    };
  }

  private async invokeLambda(functionName: string, input: Json): Promise<Json> {
    let result: Awaited<ReturnType<LocalStepFunctionsOptions['invokeLambda']>>;
    try {
      result = await this.options.invokeLambda(functionName, input);
    } catch (error) {
      // The call itself failed (a timeout, a dropped connection): Step Functions reports that as Lambda.SdkClientException,
      // which the definitions' Retry names — not as the SDK's own error name.
      throw new TaskError('Lambda.SdkClientException', JSON.stringify({ errorType: 'Lambda.SdkClientException', errorMessage: (error as Error).message }));
    }
    const { functionError, payload } = result;
    if (functionError) {
      const { errorType, errorMessage, trace } = (payload ?? {}) as { errorType?: string; errorMessage?: string; trace?: string[] };
      // AWS Lambda reports error.name as errorType; serverless-offline always says "Error", but the stack's first line has the name.
      const name = errorType === 'Error' ? (/^([A-Za-z_$][\w$.]*):/.exec(trace?.[0] ?? '')?.[1] ?? errorType) : errorType;
      throw new TaskError(name ?? 'Lambda.Unknown', JSON.stringify({ errorType: name, errorMessage }));
    }
    return payload;
  }

  private callGlue(operation: string, input: Json): Json {
    const handler = this.options.glue.operations[operation];
    if (!handler) throw new TaskError('States.Runtime', `Glue (local) does not implement ${operation}.`);
    try {
      return handler(input);
    } catch (error) {
      const type = (error as { type?: string }).type ?? (error as Error).name;
      throw new TaskError(`Glue.${type}`, (error as Error).message);
    }
  }

  private async glueJobSync(input: { JobName: string; Arguments?: Record<string, string> }): Promise<Json> {
    const { JobRunId } = this.callGlue('StartJobRun', input) as { JobRunId: string };
    for (;;) {
      const { JobRun } = this.callGlue('GetJobRun', { JobName: input.JobName, RunId: JobRunId }) as { JobRun: { JobRunState: string } };
      if (JobRun.JobRunState === 'SUCCEEDED') return JobRun;
      if (JobRun.JobRunState !== 'RUNNING') throw new TaskError('States.TaskFailed', JSON.stringify(JobRun));
      await sleep(this.options.pollMs ?? 200);
    }
  }

  /** The AWS SDK integration's GetObject: the body as a string (Step Functions' output is JSON). */
  private async getObject(input: { Bucket: string; Key: string }): Promise<Json> {
    let body: Buffer;
    try {
      body = await this.options.readObject(input.Bucket, input.Key);
    } catch (error) {
      const name = (error as Error).name;
      throw new TaskError(name === 'NoSuchKey' ? 'S3.NoSuchKeyException' : `S3.${name}`, (error as Error).message);
    }
    return { Body: body.toString('utf8'), ContentLength: body.length };
  }

  /** createTrainingJob.sync: the job is created, then described until it ends; the output is its DescribeTrainingJob. */
  private async trainingJobSync(input: Json): Promise<Json> {
    const call = async (operation: string, args: Json) => {
      try {
        return (await this.options.sagemaker.operations[operation]!(args)) as Record<string, any>;
      } catch (error) {
        const type = (error as { type?: string }).type ?? (error as Error).name;
        throw new TaskError('SageMaker.AmazonSageMakerException', `${(error as Error).message} (Service: AmazonSageMaker; Error Code: ${type})`);
      }
    };
    await call('CreateTrainingJob', input);
    const name = (input as { TrainingJobName: string }).TrainingJobName;
    for (;;) {
      const job = await call('DescribeTrainingJob', { TrainingJobName: name });
      if (job.TrainingJobStatus === 'Completed') return job as Json;
      if (job.TrainingJobStatus === 'Failed' || job.TrainingJobStatus === 'Stopped') throw new TaskError('States.TaskFailed', JSON.stringify(job));
      await sleep(this.options.pollMs ?? 200);
    }
  }

  private async readItems(input: { Bucket: string; Key: string; MaxItemsPerBatch: number; BatchInput?: Json }): Promise<Json> {
    let items: unknown;
    try {
      items = JSON.parse((await this.options.readObject(input.Bucket, input.Key)).toString('utf8'));
    } catch (error) {
      throw new TaskError('States.ItemReaderFailed', `Cannot read the items of s3://${input.Bucket}/${input.Key}: ${(error as Error).message}`);
    }
    if (!Array.isArray(items)) throw new TaskError('States.ItemReaderFailed', `s3://${input.Bucket}/${input.Key} does not hold a JSON array.`);
    const batches: Json[] = [];
    for (let i = 0; i < items.length; i += input.MaxItemsPerBatch)
      batches.push({ Items: items.slice(i, i + input.MaxItemsPerBatch), ...(input.BatchInput ? { BatchInput: input.BatchInput } : {}) });
    return batches;
  }

  private async batchJobSync(input: { JobName: string; JobQueue: string; JobDefinition: string; Parameters?: Record<string, string> }): Promise<Json> {
    let job;
    try {
      job = this.options.batch.submitJob({
        jobName: input.JobName,
        jobQueue: input.JobQueue,
        jobDefinition: input.JobDefinition,
        parameters: input.Parameters ?? {},
      });
    } catch (error) {
      const type = (error as { type?: string }).type ?? (error as Error).name;
      throw new TaskError(`Batch.${type}`, (error as Error).message);
    }
    while (job.status !== 'SUCCEEDED' && job.status !== 'FAILED') await sleep(this.options.pollMs ?? 200);
    // The optimized integration returns the DescribeJobs entry with PascalCase keys.
    const output = {
      JobId: job.jobId,
      JobArn: job.jobArn,
      JobName: job.jobName,
      JobQueue: job.jobQueue,
      JobDefinition: job.jobDefinition,
      Status: job.status,
      StatusReason: job.statusReason,
      Parameters: job.parameters,
      CreatedAt: job.createdAt,
      StartedAt: job.startedAt,
      StoppedAt: job.stoppedAt,
      Container: { Command: job.container.command, ExitCode: job.container.exitCode, Reason: job.container.reason, LogStreamName: job.container.logStreamName },
    };
    if (job.status === 'FAILED') throw new TaskError('States.TaskFailed', JSON.stringify(output));
    return output;
  }

  private start(stateMachineArn: string, name: string, inputText: string): Execution {
    const machine = this.machine(stateMachineArn);
    let input: Json;
    try {
      input = JSON.parse(inputText);
    } catch {
      throw new AwsJsonError('InvalidExecutionInput', 'Invalid State Machine Execution Input: the input is not JSON.');
    }
    const executionArn = `arn:aws:states:${this.options.region}:${this.options.accountId}:execution:${machine.name}:${name}`;
    if (this.executions.has(executionArn)) throw new AwsJsonError('ExecutionAlreadyExists', `Execution Already Exists: '${executionArn}'`);
    const startDate = Date.now() / 1000;
    const states = machine.definition.States as States;
    // Every state, nested ones (a Map's processor, a Parallel's branches) included: local time is compressed in all.
    const everyState = (of: States): [string, States[string]][] =>
      Object.entries(of).flatMap(([n, st]) => [
        [n, st] as [string, States[string]],
        ...[st.Iterator, st.ItemProcessor, ...(st.Branches ?? [])].flatMap((nested) => (nested ? everyState(nested.States) : [])),
      ]);
    const all = everyState(states);
    const run = new StateMachine(machine.definition, { validationOptions: { checkArn: false } }).run(input, {
      overrides: {
        taskResourceLocalHandlers: this.taskHandlers(states),
        waitTimeOverrides: Object.fromEntries(all.filter(([, st]) => st.Type === 'Wait').map(([n]) => [n, this.options.waitMs ?? 200])),
        retryIntervalOverrides: Object.fromEntries(all.filter(([, st]) => st.Retry).map(([n]) => [n, this.options.retryMs ?? 50])),
      },
      context: {
        Execution: { Id: executionArn, Name: name, Input: input, StartTime: new Date(startDate * 1000).toISOString(), RoleArn: machine.roleArn },
        StateMachine: { Id: stateMachineArn, Name: machine.name },
      },
    });
    const execution: Execution = { executionArn, stateMachineArn, name, status: 'RUNNING', startDate, input: inputText, events: [], abort: run.abort };
    this.executions.set(executionArn, execution);
    void this.record(execution, run.eventLogs, states);
    run.result.then(
      (output) => Object.assign(execution, { status: 'SUCCEEDED', output: JSON.stringify(output), stopDate: Date.now() / 1000 }),
      (thrown: Error & { cause?: unknown }) => {
        // The library wraps the failing error (a Fail state's Error/Cause, or an uncaught task error) in ExecutionError.
        const error = thrown.name === 'ExecutionError' && thrown.cause instanceof Error ? thrown.cause : thrown;
        const aborted = error.name === 'ExecutionAbortedError';
        Object.assign(execution, {
          status: aborted ? 'ABORTED' : error.name === 'ExecutionTimeoutError' ? 'TIMED_OUT' : 'FAILED',
          error: aborted ? undefined : error.name,
          cause: error.message,
          stopDate: Date.now() / 1000,
        });
        this.options.log(`[states] ${name}: ${execution.status} ${execution.error ?? ''}`);
      },
    );
    return execution;
  }

  /** Execution history in Step Functions' event shapes (what GetExecutionHistory returns). */
  private async record(execution: Execution, logs: ReturnType<StateMachine['run']>['eventLogs'], states: States): Promise<void> {
    const entered = new Map<string, number>();
    const add = (type: string, timestamp: number, details: Record<string, unknown>, previous?: number) => {
      const id = execution.events.length + 1;
      execution.events.push({ id, previousEventId: previous ?? id - 1, timestamp: timestamp / 1000, type, ...details });
      return id;
    };
    for await (const event of logs) {
      switch (event.type) {
        case 'ExecutionStarted':
          add('ExecutionStarted', event.timestamp, { executionStartedEventDetails: { input: JSON.stringify(event.input) } });
          break;
        case 'StateEntered':
          entered.set(
            event.state.name,
            add(`${event.state.type}StateEntered`, event.timestamp, {
              stateEnteredEventDetails: { name: event.state.name, input: JSON.stringify(event.state.input) },
            }),
          );
          break;
        case 'StateExited':
          add(`${event.state.type}StateExited`, event.timestamp, {
            stateExitedEventDetails: { name: event.state.name, output: JSON.stringify(event.state.output ?? null) },
          });
          break;
        case 'StateFailed': {
          const resource = states[event.state.name]?.Resource ?? '';
          const [resourceType, resourceName] = resource.startsWith('arn:aws:states:::')
            ? resource.slice('arn:aws:states:::'.length).split(/:(.*)/)
            : ['lambda', resource.split(':').pop()];
          add(
            'TaskFailed',
            event.timestamp,
            { taskFailedEventDetails: { resourceType, resource: resourceName, error: event.Error, cause: String(event.Cause) } },
            entered.get(event.state.name),
          );
          break;
        }
        case 'ExecutionSucceeded':
          add('ExecutionSucceeded', event.timestamp, { executionSucceededEventDetails: { output: JSON.stringify(event.output) } });
          break;
        case 'ExecutionFailed':
          add('ExecutionFailed', event.timestamp, { executionFailedEventDetails: { error: event.Error, cause: String(event.Cause) } });
          break;
        case 'ExecutionAborted':
        case 'ExecutionTimeout':
          add(event.type === 'ExecutionAborted' ? 'ExecutionAborted' : 'ExecutionTimedOut', event.timestamp, {});
          break;
      }
    }
  }

  private describe(e: Execution) {
    const { events: _events, abort: _abort, ...description } = e;
    return description;
  }

  readonly operations: Record<string, (input: any) => unknown> = {
    ListStateMachines: () => ({
      stateMachines: [...this.machines].map(([stateMachineArn, m]) => ({ stateMachineArn, name: m.name, type: 'STANDARD', creationDate: m.creationDate })),
    }),
    DescribeStateMachine: ({ stateMachineArn }: { stateMachineArn: string }) => {
      const m = this.machine(stateMachineArn);
      return {
        stateMachineArn,
        name: m.name,
        status: 'ACTIVE',
        definition: JSON.stringify(m.definition),
        roleArn: m.roleArn,
        type: 'STANDARD',
        creationDate: m.creationDate,
      };
    },
    StartExecution: ({ stateMachineArn, name, input }: { stateMachineArn: string; name?: string; input?: string }) => {
      const execution = this.start(stateMachineArn, name ?? crypto.randomUUID(), input ?? '{}');
      return { executionArn: execution.executionArn, startDate: execution.startDate };
    },
    DescribeExecution: ({ executionArn }: { executionArn: string }) => this.describe(this.execution(executionArn)),
    ListExecutions: ({ stateMachineArn, statusFilter }: { stateMachineArn: string; statusFilter?: string }) => {
      this.machine(stateMachineArn);
      const list = [...this.executions.values()].filter((e) => e.stateMachineArn === stateMachineArn && (!statusFilter || e.status === statusFilter));
      return {
        executions: list.reverse().map(({ executionArn, stateMachineArn: arn, name, status, startDate, stopDate }) => ({
          executionArn,
          stateMachineArn: arn,
          name,
          status,
          startDate,
          stopDate,
        })),
      };
    },
    GetExecutionHistory: ({
      executionArn,
      nextToken,
      maxResults,
      reverseOrder,
    }: {
      executionArn: string;
      nextToken?: string;
      maxResults?: number;
      reverseOrder?: boolean;
    }) => {
      const all = reverseOrder ? [...this.execution(executionArn).events].reverse() : this.execution(executionArn).events;
      const start = nextToken ? Number(nextToken) : 0;
      const end = start + (maxResults || 1000);
      return { events: all.slice(start, end), ...(end < all.length ? { nextToken: String(end) } : {}) };
    },
    StopExecution: ({ executionArn }: { executionArn: string }) => {
      const execution = this.execution(executionArn);
      if (execution.status === 'RUNNING') execution.abort();
      return { stopDate: Date.now() / 1000 };
    },
  };
}
