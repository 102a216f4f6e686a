import { runCuratedJob } from '../local/glue/curated-job';
import { runFeaturesJob } from '../local/glue/features-job';
import { dateRange, parseCli, runCli } from '#shared/args';
import { useLocalCloud } from './local-env';

const USAGE = `
npm run features -- --from YYYY-MM-DD --to YYYY-MM-DD [--json]

Runs the two Glue jobs of the training workflow locally, as they run on AWS: the compaction (glue/curated.sql:
the raw partitions of the range and the day before → one row per event_id, in s3://<lake>/curated/clickstream/dt=…/),
then the feature ETL (glue/features.sql: curated → Parquet session features in
s3://<lake>/features/purchase-propensity/dt=…/). Both dates are inclusive (UTC session start dates).
`;

runCli(async () => {
  const { values } = parseCli(USAGE, { from: { type: 'string' }, to: { type: 'string' } });
  const { from, to } = dateRange(values, USAGE);
  const outputs = useLocalCloud();
  const say = (line: string) => (values.json ? undefined : process.stderr.write(`features: ${line}\n`));
  const curated = await runCuratedJob(outputs.LakeBucketName, from, to, say);
  say(`curated: ${curated.inputRows} raw rows → ${curated.events} events (one per event_id) in ${curated.seconds.toFixed(1)} s`);
  const result = await runFeaturesJob(outputs.LakeBucketName, from, to, say);
  if (values.json) process.stdout.write(`${JSON.stringify({ ok: true, curated, ...result })}\n`);
  else
    process.stdout.write(
      `${result.sessions} sessions (${result.positives} with a purchase) from ${curated.events} curated events → ${result.partitions.length} Parquet partitions\n`,
    );
});
