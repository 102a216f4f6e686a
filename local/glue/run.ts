import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { s3Client } from '#adapters/s3';
import { crawlRaw } from './crawler';
import { runCuratedJob } from './curated-job';
import { runFeaturesJob } from './features-job';

/**
 * The local Glue runtime: the local cloud's Glue stand-in runs crawls and job runs in a child process of
 * this file, with the environment a Glue worker would have (endpoint, credentials) and Glue-style arguments.
 *   run.ts crawl <s3 target> <database> <table prefix>   → the catalog table as JSON on stdout
 *   run.ts job --script_location s3://… --from … --to … --lake_bucket … [--run V]   → the job's result as JSON on stdout
 * A job runs glue/curated.sql or glue/features.sql on DuckDB, as glue/build_curated.py and build_features.py
 * run them on Spark; like AWS Glue, it fails if the job's script is not where the job definition says.
 */
async function main(argv: string[]): Promise<unknown> {
  const [command, ...rest] = argv;
  if (command === 'crawl') {
    const [target, database, prefix] = rest;
    return crawlRaw(target!, database!, prefix ?? '');
  }
  if (command === 'job') {
    const args: Record<string, string> = {};
    for (let i = 0; i < rest.length; i += 2) args[rest[i]!.replace(/^--/, '')] = rest[i + 1] ?? '';
    for (const name of ['script_location', 'from', 'to', 'lake_bucket']) if (!args[name]) throw new Error(`Missing job argument --${name}.`);
    const script = /^s3:\/\/([^/]+)\/(.+)$/.exec(args.script_location!);
    if (!script) throw new Error(`ScriptLocation ${args.script_location} is not an s3:// URI.`);
    await s3Client()
      .send(new HeadObjectCommand({ Bucket: script[1], Key: script[2] }))
      .catch((error: Error) => {
        throw new Error(`The job's script ${args.script_location} cannot be read (${error.name}); deployment uploads it (plugins/glue-scripts.js).`);
      });
    // Which job: its script, as on AWS (the compaction's build_curated.py, the features' build_features.py).
    const log = (line: string) => process.stderr.write(`${line}\n`);
    if (script[2]!.endsWith('/build_curated.py')) return runCuratedJob(args.lake_bucket!, args.from!, args.to!, log);
    return runFeaturesJob(args.lake_bucket!, args.from!, args.to!, log, args.run || undefined);
  }
  throw new Error(`usage: run.ts crawl <target> <database> <prefix> | run.ts job --<arg> <value>…`);
}

main(process.argv.slice(2)).then(
  (result) => process.stdout.write(`${JSON.stringify(result)}\n`),
  (error: Error) => {
    process.stderr.write(`${error.message}\n`);
    process.exit(1);
  },
);
