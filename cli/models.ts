import { rollbackAlias } from '../src/adapters/model-registry';
import { getAlias, getModelVersion, queryModel, scanRegistry, setAlias, setAliasRouting } from '../src/adapters/models-table';
import { aliasHistory, PRODUCTION_ALIAS, summarizeModels, versionSummary, type AliasRecord, type ModelVersion } from '../src/domain/registry';
import { parseCli, runCli, UsageError } from './args';
import { useLocalCloud } from './local-env';

const USAGE = `
npm run models -- <command> [--alias A] [--reason TEXT] [--weight W] [--off] [--models-table NAME] [--json]

  list                          every model: aliases, number of versions, latest version
  show <name> [<version>]       a model's aliases and versions, or one version in full
  promote <name> <version>      point an alias (default production) at a version
  rollback <name>               set an alias (default production) back to where it pointed before its last change
  history <name>                every alias change: when, from, to, by whom, why
  canary <name> <version> --weight W   send a share W (0 < W < 1) of sessions, sticky by session id, to a version
  canary <name> --off                  end the canary
  shadow <name> <version>       also score every session with a version (logged, not returned); --off ends it
A promotion ends the alias's canary and shadow.

Promote and rollback are conditional writes: if the alias moved meanwhile, they fail and change nothing.
Locally the registry is the running local cloud's; on AWS pass --models-table (stack output ModelsTableName).
`;

const print = (json: boolean, value: unknown, text: () => string): void => void process.stdout.write(`${json ? JSON.stringify(value) : text()}\n`);

runCli(async () => {
  const { values, positionals } = parseCli(USAGE, {
    alias: { type: 'string' },
    reason: { type: 'string' },
    weight: { type: 'string' },
    off: { type: 'boolean', default: false },
    'models-table': { type: 'string' },
  });
  const table = values['models-table'] ?? useLocalCloud().ModelsTableName;
  const json = values.json === true;
  const alias = values.alias ?? PRODUCTION_ALIAS;
  const [command, name, version] = positionals;
  const need = (value: string | undefined, what: string) => {
    if (!value) throw new UsageError(`${command} needs ${what}.\n${USAGE.trim()}`);
    return value;
  };
  const by = `cli/${process.env.USER ?? 'unknown'}`;
  switch (command) {
    case 'list': {
      const models = summarizeModels(await scanRegistry(table));
      return print(json, { ok: true, models }, () => (models.length === 0 ? 'No models yet: npm run train.' : models.map((m) => `${m.name}  ${m.versions} version(s), latest ${m.latest_version}  ${Object.entries(m.aliases).map(([a, v]) => `${a}→${v}`).join(' ')}`).join('\n')));
    }
    case 'show': {
      need(name, 'a model name');
      if (version) {
        const entry = await getModelVersion(table, name!, version);
        if (!entry) throw new Error(`${name} has no version ${version}.`);
        return print(json, { ok: true, version: entry }, () => JSON.stringify(entry, null, 2));
      }
      const items = await queryModel(table, name!, '');
      if (items.length === 0) throw new Error(`No model named ${name}.`);
      const versions = items.filter((i) => String(i.sk).startsWith('version#')).map((v) => versionSummary(v as unknown as ModelVersion));
      const aliases = Object.fromEntries(items.filter((i) => String(i.sk).startsWith('alias#')).map((a) => [(a as unknown as AliasRecord).alias, (a as unknown as AliasRecord).version]));
      return print(json, { ok: true, name, aliases, versions }, () =>
        [`${name}  ${Object.entries(aliases).map(([a, v]) => `${a}→${v}`).join(' ') || '(no aliases)'}`, ...versions.reverse().map((v) => `  ${v.version}  ${v.kind.padEnd(19)} test ROC-AUC ${v.test_roc_auc.toFixed(3)}  ECE ${v.test_ece.toFixed(3)}  data ${v.data.from} … ${v.data.to}`)].join('\n'),
      );
    }
    case 'promote': {
      need(name, 'a model name');
      need(version, 'a version');
      const current = await getAlias(table, name!, alias);
      const record = await setAlias(table, name!, alias, { to: version!, expected: current?.version ?? null, by, reason: values.reason ?? 'promoted by hand' });
      return print(json, { ok: true, alias, version: record.version, previous: current?.version ?? null }, () => `${name} ${alias}: ${current?.version ?? '(unset)'} → ${record.version}`);
    }
    case 'rollback': {
      need(name, 'a model name');
      const before = await getAlias(table, name!, alias);
      const record = await rollbackAlias(table, name!, alias, by, values.reason ?? 'rolled back by hand');
      return print(json, { ok: true, alias, version: record.version, previous: before?.version ?? null }, () => `${name} ${alias}: ${before?.version} → ${record.version} (rolled back)`);
    }
    case 'history': {
      need(name, 'a model name');
      const aliases = (await queryModel(table, name!, 'alias#')) as unknown as AliasRecord[];
      const history = aliasHistory(aliases);
      return print(json, { ok: true, name, history }, () => history.map((h) => `${h.at}  ${h.alias}: ${h.from ?? '(unset)'} → ${h.to}  by ${h.by}: ${h.reason}`).join('\n') || 'No alias changes yet.');
    }
    case 'canary':
    case 'shadow': {
      need(name, 'a model name');
      if (!values.off) need(version, 'a version (or --off)');
      const current = await getAlias(table, name!, alias);
      if (!current) throw new Error(`${name} has no "${alias}" alias; promote a version first.`);
      let routing;
      if (command === 'canary') {
        const weight = Number(values.weight);
        if (!values.off && !(weight > 0 && weight < 1)) throw new UsageError('--weight must be a number between 0 and 1 (e.g. 0.1 for 10 % of sessions).');
        routing = { canary: values.off ? null : { version: version!, weight } };
      } else routing = { shadow: values.off ? null : { version: version! } };
      const what = values.off ? `${command} off` : command === 'canary' ? `canary ${version} at ${Math.round(Number(values.weight) * 100)} %` : `shadow ${version}`;
      const record = await setAliasRouting(table, name!, alias, routing, { expected: current.version, by, reason: values.reason ?? what });
      return print(json, { ok: true, alias, version: record.version, canary: record.canary ?? null, shadow: record.shadow ?? null }, () => `${name} ${alias}: ${record.version}; ${what}`);
    }
    default:
      throw new UsageError(`${command ? `Unknown command "${command}".` : 'Give a command.'}\n${USAGE.trim()}`);
  }
});
