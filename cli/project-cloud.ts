import path from 'node:path';
import { LocalCloud } from '../local/cloud';
import { intOption, UsageError } from '#shared/args';

/** The flags every command that starts the project's local cloud takes. */
export const CLOUD_FLAGS = {
  port: { type: 'string' },
  'api-port': { type: 'string' },
  'site-port': { type: 'string' },
  param: { type: 'string', multiple: true },
  reset: { type: 'boolean', default: false },
} as const;

/** This checkout's local cloud: data in .local/, edge on 4566, API on 3000 and the demo site on 8080 unless the flags say otherwise. */
export function startProjectCloud(
  values: { port?: string; 'api-port'?: string; 'site-port'?: string; param?: string[]; reset?: boolean },
  log: (line: string) => void,
): Promise<LocalCloud> {
  const root = path.resolve(__dirname, '..');
  return LocalCloud.start({
    root,
    dataDir: path.join(root, '.local'),
    port: intOption(values.port, 'port', 4566),
    apiPort: intOption(values['api-port'], 'api-port', 3000),
    sitePort: intOption(values['site-port'], 'site-port', 8080),
    params: Object.fromEntries(
      (values.param ?? []).map((p) => {
        const at = p.indexOf('=');
        if (at < 1) throw new UsageError(`--param takes name=value (got "${p}").`);
        return [p.slice(0, at), p.slice(at + 1)];
      }),
    ),
    reset: values.reset === true,
    log,
  });
}
