import { readFileSync } from 'node:fs';
import path from 'node:path';
import { LOCAL_CREDENTIALS } from '../local/cloud';

/**
 * Points this process at the running local cloud, as Lambda/Batch/Glue environments point theirs at AWS:
 * AWS_ENDPOINT_URL, credentials, and the resource names from .local/stack-outputs.json.
 */
export type LocalStackOutputs = Record<string, string | undefined> & { Endpoint: string; LakeBucketName: string; ModelsTableName: string };

export function useLocalCloud(): LocalStackOutputs {
  let outputs: LocalStackOutputs;
  try {
    outputs = JSON.parse(readFileSync(path.resolve(__dirname, '..', '.local', 'stack-outputs.json'), 'utf8'));
  } catch {
    throw new Error('The local cloud is not running: start it with `npm run local` (or `npm start`).');
  }
  Object.assign(process.env, LOCAL_CREDENTIALS, {
    AWS_ENDPOINT_URL: outputs.Endpoint,
    LAKE_BUCKET_NAME: outputs.LakeBucketName,
    MODELS_TABLE_NAME: outputs.ModelsTableName,
  });
  return outputs;
}

// `tsx cli/local-env.ts <entrypoint> [args…]`: runs a job entrypoint (e.g. batch/train.ts) against the local cloud.
if (require.main === module) {
  const [entrypoint] = process.argv.splice(2, 1);
  if (!entrypoint) {
    process.stderr.write('usage: tsx cli/local-env.ts <entrypoint.ts> [args…]\n');
    process.exit(2);
  }
  try {
    // --help needs no local cloud: the entrypoint prints its usage.
    if (!process.argv.some((a) => a === '--help' || a === '-h')) useLocalCloud();
  } catch (error) {
    process.stderr.write(`error: ${(error as Error).message}\n`);
    process.exit(1);
  }
  void import(path.resolve(entrypoint));
}
