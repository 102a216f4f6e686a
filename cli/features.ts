import { runFeaturesJob } from '../local/glue/features-job';
import { dateRange, parseCli, runCli } from '#shared/args';
import { useLocalCloud } from './local-env';

const USAGE = `
npm run features -- --from YYYY-MM-DD --to YYYY-MM-DD [--json]

Runs the feature ETL (glue/features.sql) locally, as the Glue job does on AWS: reads the raw lake
partitions of the range from the running local cloud and writes Parquet session features to
s3://<lake>/features/purchase-propensity/dt=…/ . Both dates are inclusive (UTC session start dates).
`;

runCli(async () => {
  const { values } = parseCli(USAGE, { from: { type: 'string' }, to: { type: 'string' } });
  const { from, to } = dateRange(values, USAGE);
  const outputs = useLocalCloud();
  const result = await runFeaturesJob(outputs.LakeBucketName, from, to, (line) => (values.json ? undefined : process.stderr.write(`features: ${line}\n`)));
  if (values.json) process.stdout.write(`${JSON.stringify({ ok: true, ...result })}\n`);
  else
    process.stdout.write(
      `${result.sessions} sessions (${result.positives} with a purchase) from ${result.inputObjects} raw objects → ${result.partitions.length} Parquet partitions\n`,
    );
});
