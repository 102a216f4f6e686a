import { getParameterValues, putParameterValue } from '#adapters/ssm';
import { hashApiKey, newApiKey, parseKeyHashes } from '#domain/api-keys';
import { parseCli, runCli, UsageError } from '#shared/args';

const USAGE = `
npm run api-key -- [new] [--json]
npm run api-key -- list|allow|revoke [<key or sha256>] --for admin|predict|read [--parameter NAME] [--json]

new      makes a new API key and its SHA-256 hash. Give the key to the client (Authorization: Bearer <key>); only
         the hash is deployed. The key itself is printed once and stored nowhere.
allow    adds a key's hash to the keys the authorizer accepts; revoke takes it out; list shows the hashes.
         They live in an SSM parameter per authorizer (resources/api-keys.yml), read by the authorizers every
         keyCacheSeconds (30 s; 1 s locally), so a change is in force within that plus API Gateway's authorizer
         cache (authorizerCacheSeconds, 60 s; none locally) — no redeploy. A redeploy puts the stage params'
         hashes (ADMIN_API_KEY_HASHES, PREDICT_API_KEY_HASHES, READ_API_KEY_HASHES) back.
--for    which authorizer: admin (registry writes and reads), predict (POST /predict), read (GET /models…)
Locally the parameter comes from the running local cloud; on AWS pass --parameter (stack outputs
AdminKeyHashesParameter, PredictKeyHashesParameter, ReadKeyHashesParameter).
`;

const OUTPUT_FOR = { admin: 'AdminKeyHashesParameter', predict: 'PredictKeyHashesParameter', read: 'ReadKeyHashesParameter' } as const;

/** A hash as given (64 hex digits), or the hash of a key. */
const hashOf = (keyOrHash: string) => (/^[0-9a-f]{64}$/i.test(keyOrHash) ? keyOrHash.toLowerCase() : hashApiKey(keyOrHash));

runCli(async () => {
  const { values, positionals } = parseCli(USAGE, { for: { type: 'string' }, parameter: { type: 'string' } });
  const command = positionals[0] ?? 'new';
  const json = values.json === true;
  if (command === 'new') {
    const key = newApiKey();
    const sha256 = hashApiKey(key);
    process.stdout.write(json ? `${JSON.stringify({ ok: true, key, sha256 })}\n` : `key:    ${key}\nsha256: ${sha256}\n`);
    return;
  }
  if (!['list', 'allow', 'revoke'].includes(command)) throw new UsageError(`Unknown command "${command}".\n${USAGE}`);
  const which = values.for as keyof typeof OUTPUT_FOR | undefined;
  if (!which || !(which in OUTPUT_FOR)) throw new UsageError('--for must be admin, predict or read.');
  const parameter = values.parameter ?? (await import('./local-env')).useLocalCloud()[OUTPUT_FOR[which]];
  if (!parameter) throw new UsageError(`No ${OUTPUT_FOR[which]} in the local cloud's outputs: restart it (npm run local), or pass --parameter.`);
  const [current = ''] = await getParameterValues([parameter]);
  const hashes = parseKeyHashes(current).map((h) => h.toString('hex'));
  let next = hashes;
  if (command !== 'list') {
    const given = positionals[1];
    if (!given) throw new UsageError(`Name the key (or its SHA-256) to ${command}.`);
    const hash = hashOf(given);
    if (command === 'allow') next = hashes.includes(hash) ? hashes : [...hashes, hash];
    else {
      if (!hashes.includes(hash)) throw new UsageError(`${hash.slice(0, 8)}… is not among the ${which} keys; nothing changed.`);
      next = hashes.filter((h) => h !== hash);
    }
    // An empty list is written as "none": SSM takes no empty value, and "none" lets nobody in.
    await putParameterValue(parameter, next.join(',') || 'none');
  }
  if (json) process.stdout.write(`${JSON.stringify({ ok: true, for: which, parameter, hashes: next })}\n`);
  else process.stdout.write(`${which} keys (${parameter}): ${next.length === 0 ? 'none — nobody gets in' : next.map((h) => `${h.slice(0, 8)}…`).join(', ')}\n`);
});
