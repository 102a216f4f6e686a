import { parseCli, runCli } from '#shared/args';
import { resetClients } from '#shared/aws-clients';
import { CLOUD_FLAGS, startProjectCloud } from './project-cloud';

const USAGE = `
npm run local -- [--port 4566] [--api-port 3000] [--site-port 8080] [--param name=value …] [--reset] [--json]

Starts the local cloud: one AWS endpoint (Kinesis, DynamoDB, S3, Firehose, SQS, …) on --port,
the resources serverless.yml declares, the Kinesis → ingest mapping, the HTTP API on --api-port, and
the demo storefront and the web tracker on --site-port. --param sets a stage param for this run
(e.g. --param collectFunctionUrl=true: POST /events also on a function URL, output CollectLambdaFunctionUrl).
Data persists in .local/ (--reset wipes it). Ctrl-C stops it.
`;

runCli(async () => {
  const { values } = parseCli(USAGE, CLOUD_FLAGS);
  const json = values.json === true;
  const cloud = await startProjectCloud(values, (line) => (json ? undefined : process.stderr.write(`local: ${line}\n`)));
  // The operations page reads the local cloud with this process's SDK clients.
  Object.assign(process.env, cloud.env);
  resetClients();
  if (json) process.stdout.write(`${JSON.stringify({ ok: true, outputs: cloud.outputs })}\n`);
  else {
    process.stdout.write(`\nLocal cloud ready. Stack outputs (.local/stack-outputs.json):\n`);
    for (const [key, value] of Object.entries(cloud.outputs)) process.stdout.write(`  ${key.padEnd(24)} ${value}\n`);
    process.stdout.write(`\nThe demo store: ${cloud.outputs.DemoUrl}  (the tracker: ${cloud.outputs.TrackerUrl})\n`);
    process.stdout.write(`The operations page — the pipeline, the lake, training, the registry, live: ${cloud.outputs.OpsUrl}\n`);
    process.stdout.write(
      `\nTry: AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local aws --endpoint-url ${cloud.endpoint} --region us-east-1 kinesis list-streams\nCtrl-C to stop.\n`,
    );
  }
  const shutdown = () => {
    process.stderr.write('local: stopping (flushing Firehose buffers)…\n');
    cloud.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
});
