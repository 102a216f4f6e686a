import { runFeaturesJob } from '../local/glue/features-job';
import { parseCli, runCli, UsageError } from './args';
import { useLocalCloud } from './local-env';

const USAGE = `
npm run features -- --from YYYY-MM-DD --to YYYY-MM-DD [--json]

Runs the feature ETL (glue/features.sql) locally, as the Glue job does on AWS: reads the raw lake
partitions of the range from the running local cloud and writes Parquet session features to
s3://<lake>/features/purchase-propensity/dt=…/ . Both dates are inclusive (UTC session start dates).
`;

const DATE = /^\d{4}-\d{2}-\d{2}$/;

runCli(async () => {
  const { values } = parseCli(USAGE, { from: { type: 'string' }, to: { type: 'string' } });
  if (!values.from || !values.to || !DATE.test(values.from) || !DATE.test(values.to)) throw new UsageError(`--from and --to take dates (YYYY-MM-DD).\n${USAGE}`);
  if (values.from > values.to) throw new UsageError(`--from ${values.from} is after --to ${values.to}.`);
  const outputs = useLocalCloud();
  const result = await runFeaturesJob(outputs.LakeBucketName, values.from, values.to, (line) => (values.json ? undefined : process.stderr.write(`features: ${line}\n`)));
  if (values.json) process.stdout.write(`${JSON.stringify({ ok: true, ...result })}\n`);
  else process.stdout.write(`${result.sessions} sessions (${result.positives} with a purchase) from ${result.inputObjects} raw objects → ${result.partitions.length} Parquet partitions\n`);
});
