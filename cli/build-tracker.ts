import path from 'node:path';
import { parseCli, runCli } from '#shared/args';
import { writeTracker } from '../clients/web/build';

const USAGE = `
npm run build:tracker -- [--out DIR] [--json]

Builds the browser tracker (clients/web/src) to DIR (default clients/web/dist): clickstream.min.js, a script
that sets window.clickstream, and clickstream.mjs, the same as an ES module. Host either on your own site or
CDN and point it at your stack's collector (docs/tracker.md). Prints the size, minified and gzipped.
`;

runCli(async () => {
  const { values } = parseCli(USAGE, { out: { type: 'string' } });
  const built = await writeTracker(values.out === undefined ? undefined : path.resolve(values.out));
  const result = { ok: true, files: built.files, min_gzip_bytes: built.minGzipBytes, budget_bytes: 5 * 1024 };
  process.stdout.write(
    values.json === true
      ? `${JSON.stringify(result)}\n`
      : `${built.files.join('\n')}\nclickstream.min.js: ${built.iife.length.toLocaleString('en-US')} bytes minified, ${built.minGzipBytes.toLocaleString('en-US')} gzipped (budget 5 KB)\n`,
  );
});
