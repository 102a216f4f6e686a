import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { AwsJsonError } from '../aws-json';
import { runChild } from '../child-job';
import type { FaultInjector } from '../faults';
import type { CatalogTable } from './crawler';

/** What the template declares (AWS::Glue::Crawler / AWS::Glue::Job properties, resolved). */
export interface CrawlerSpec {
  Name: string;
  DatabaseName: string;
  TablePrefix?: string;
  Targets: { S3Targets?: { Path: string }[] };
}
export interface JobSpec {
  Name: string;
  Command: { Name: string; ScriptLocation: string };
  DefaultArguments?: Record<string, string>;
  ExecutionProperty?: { MaxConcurrentRuns?: number };
}

interface Crawler extends CrawlerSpec {
  State: 'READY' | 'RUNNING' | 'STOPPING';
  LastCrawl?: { Status: 'SUCCEEDED' | 'FAILED' | 'CANCELLED'; ErrorMessage?: string; StartTime: number };
}
interface JobRun {
  Id: string;
  JobName: string;
  JobRunState: 'RUNNING' | 'SUCCEEDED' | 'FAILED';
  Arguments: Record<string, string>;
  StartedOn: number;
  CompletedOn?: number;
  ExecutionTime: number;
  ErrorMessage?: string;
  Attempt: number;
}

export interface LocalGlueOptions {
  root: string;
  dataDir: string;
  /** Environment of a Glue worker (endpoint, credentials). */
  env: () => Record<string, string>;
  faults: FaultInjector;
  log: (line: string) => void;
}

const seconds = () => Date.now() / 1000;

/**
 * The Glue stand-in (AWS JSON protocol, X-Amz-Target AWSGlue.*): the crawlers and jobs the template declares,
 * a Data Catalog kept in <dataDir>/glue-catalog.json, crawls and job runs in child processes (local/glue/run.ts)
 * with Glue's states (RUNNING → READY / SUCCEEDED | FAILED) and errors (CrawlerRunningException,
 * ConcurrentRunsExceededException, EntityNotFoundException).
 */
export class LocalGlue {
  private readonly crawlers = new Map<string, Crawler>();
  private readonly jobs = new Map<string, JobSpec>();
  private readonly runs = new Map<string, JobRun[]>();
  private readonly catalogFile: string;
  private catalog: { databases: string[]; tables: CatalogTable[] };

  constructor(private readonly options: LocalGlueOptions) {
    this.catalogFile = path.join(options.dataDir, 'glue-catalog.json');
    this.catalog = existsSync(this.catalogFile) ? JSON.parse(readFileSync(this.catalogFile, 'utf8')) : { databases: [], tables: [] };
  }

  createDatabase(name: string): void {
    if (!this.catalog.databases.includes(name)) this.catalog.databases.push(name);
    this.save();
  }

  createCrawler(spec: CrawlerSpec): void {
    this.crawlers.set(spec.Name, { ...spec, State: 'READY' });
  }

  createJob(spec: JobSpec): void {
    this.jobs.set(spec.Name, spec);
    this.runs.set(spec.Name, this.runs.get(spec.Name) ?? []);
  }

  private save(): void {
    writeFileSync(this.catalogFile, `${JSON.stringify(this.catalog, null, 2)}\n`);
  }

  private crawler(name: unknown): Crawler {
    const crawler = this.crawlers.get(String(name));
    if (!crawler) throw new AwsJsonError('EntityNotFoundException', `Crawler entry with name ${String(name)} does not exist`);
    return crawler;
  }

  private job(name: unknown): JobSpec {
    const job = this.jobs.get(String(name));
    if (!job) throw new AwsJsonError('EntityNotFoundException', `Job with name ${String(name)} does not exist`);
    return job;
  }

  private table(database: unknown, name: unknown): CatalogTable {
    const table = this.catalog.tables.find((t) => t.DatabaseName === database && t.Name === name);
    if (!table) throw new AwsJsonError('EntityNotFoundException', `Table ${String(name)} not found in database ${String(database)}`);
    return table;
  }

  private async crawl(crawler: Crawler): Promise<void> {
    const startTime = seconds();
    const target = crawler.Targets.S3Targets?.[0]?.Path ?? '';
    const result = await runChild(
      this.options.root,
      ['node', 'local/glue/run.js', 'crawl', target, crawler.DatabaseName, crawler.TablePrefix ?? ''],
      this.options.env(),
      path.join(this.options.dataDir, 'logs', 'glue', `crawler-${crawler.Name}.log`),
    );
    if (result.exitCode === 0) {
      const table = JSON.parse(result.lastLine) as CatalogTable;
      this.catalog.tables = [...this.catalog.tables.filter((t) => !(t.DatabaseName === table.DatabaseName && t.Name === table.Name)), table];
      this.save();
      crawler.LastCrawl = { Status: 'SUCCEEDED', StartTime: startTime };
    } else {
      crawler.LastCrawl = { Status: 'FAILED', ErrorMessage: result.errorTail, StartTime: startTime };
    }
    crawler.State = 'READY';
    this.options.log(`[glue] crawler ${crawler.Name}: ${crawler.LastCrawl.Status}`);
  }

  private async run(job: JobSpec, run: JobRun): Promise<void> {
    const args = { ...job.DefaultArguments, ...run.Arguments, '--script_location': job.Command.ScriptLocation, '--JOB_NAME': job.Name };
    const argv = Object.entries(args).flatMap(([k, v]) => [k, v]);
    const failure = this.options.faults.takeFailure('glue', 'JobRun');
    const result = failure
      ? { exitCode: 1, errorTail: 'Injected fault (local cloud): the job run failed.', lastLine: '' }
      : await runChild(
          this.options.root,
          ['node', 'local/glue/run.js', 'job', ...argv],
          this.options.env(),
          path.join(this.options.dataDir, 'logs', 'glue', `${job.Name}-${run.Id}.log`),
        );
    run.CompletedOn = seconds();
    run.ExecutionTime = Math.round(run.CompletedOn - run.StartedOn);
    run.JobRunState = result.exitCode === 0 ? 'SUCCEEDED' : 'FAILED';
    if (result.exitCode !== 0) run.ErrorMessage = result.errorTail;
    this.options.log(`[glue] job ${job.Name} run ${run.Id}: ${run.JobRunState}`);
  }

  readonly operations: Record<string, (input: any) => unknown> = {
    StartCrawler: ({ Name }: { Name: string }) => {
      const crawler = this.crawler(Name);
      this.options.faults.throwIfInjected('glue', 'StartCrawler', []);
      if (crawler.State !== 'READY') throw new AwsJsonError('CrawlerRunningException', `Crawler with name ${Name} has already started`);
      crawler.State = 'RUNNING';
      void this.crawl(crawler);
      return {};
    },
    GetCrawler: ({ Name }: { Name: string }) => {
      const { State, LastCrawl, DatabaseName, TablePrefix, Targets } = this.crawler(Name);
      return { Crawler: { Name, State, DatabaseName, TablePrefix, Targets, ...(LastCrawl ? { LastCrawl } : {}) } };
    },
    GetDatabases: () => ({ DatabaseList: this.catalog.databases.map((Name) => ({ Name })) }),
    GetTables: ({ DatabaseName }: { DatabaseName: string }) => ({
      TableList: this.catalog.tables.filter((t) => t.DatabaseName === DatabaseName).map(({ Partitions: _, ...table }) => table),
    }),
    GetTable: ({ DatabaseName, Name }: { DatabaseName: string; Name: string }) => {
      const { Partitions: _, ...table } = this.table(DatabaseName, Name);
      return { Table: table };
    },
    GetPartitions: ({ DatabaseName, TableName }: { DatabaseName: string; TableName: string }) => ({
      Partitions: this.table(DatabaseName, TableName).Partitions.map((p) => ({
        Values: p.Values,
        DatabaseName,
        TableName,
        StorageDescriptor: { Location: p.Location },
      })),
    }),
    StartJobRun: ({ JobName, Arguments }: { JobName: string; Arguments?: Record<string, string> }) => {
      const job = this.job(JobName);
      this.options.faults.throwIfInjected('glue', 'StartJobRun', []);
      const runs = this.runs.get(JobName)!;
      const running = runs.filter((r) => r.JobRunState === 'RUNNING').length;
      if (running >= (job.ExecutionProperty?.MaxConcurrentRuns ?? 1))
        throw new AwsJsonError('ConcurrentRunsExceededException', `Concurrent runs exceeded for ${JobName}`);
      const run: JobRun = {
        Id: `jr_${crypto.randomUUID().replace(/-/g, '')}`,
        JobName,
        JobRunState: 'RUNNING',
        Arguments: Arguments ?? {},
        StartedOn: seconds(),
        ExecutionTime: 0,
        Attempt: 0,
      };
      runs.push(run);
      void this.run(job, run);
      return { JobRunId: run.Id };
    },
    GetJobRun: ({ JobName, RunId }: { JobName: string; RunId: string }) => {
      const run = this.runs.get(String(JobName))?.find((r) => r.Id === RunId);
      if (!run) throw new AwsJsonError('EntityNotFoundException', `Job run ${RunId} of ${JobName} not found`);
      return { JobRun: run };
    },
    GetJobRuns: ({ JobName }: { JobName: string }) => {
      this.job(JobName);
      return { JobRuns: [...this.runs.get(JobName)!].reverse() };
    },
  };
}
