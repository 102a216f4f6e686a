import { hashApiKey, newApiKey } from '../src/domain/api-keys';
import { parseCli, runCli } from './args';

const USAGE = `
npm run api-key -- [--json]

Makes a new API key and its SHA-256 hash. Give the key to the client (Authorization: Bearer <key>); deploy
only the hash: ADMIN_API_KEY_HASHES=<hash>[,<hash>…] (admin routes) or PREDICT_API_KEY_HASHES=… (POST /predict)
in the environment of \`sls deploy\`. The key itself is printed once and stored nowhere.
`;

runCli(async () => {
  const { values } = parseCli(USAGE, {});
  const key = newApiKey();
  const sha256 = hashApiKey(key);
  if (values.json) process.stdout.write(`${JSON.stringify({ ok: true, key, sha256 })}\n`);
  else process.stdout.write(`key:    ${key}\nsha256: ${sha256}\n`);
});
