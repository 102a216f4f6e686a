import { getArtifact } from '#adapters/model-artifacts';
import { latestMonitorReports } from '#adapters/monitoring';
import { getAlias, getModelVersion, readModel, scanRegistry, setAlias, setAliasRouting } from '#adapters/registry-table';
import { rollbackAlias } from '#adapters/registry-use-cases';
import { putObject } from '#adapters/s3';
import { deployEndpoint, endpointStatus } from '#adapters/sagemaker';
import { aliasHistory, PRODUCTION_ALIAS, summarizeModels, versionSummary, type AliasRecord, type AliasRouting } from '#domain/registry';
import { parseCli, runCli, UsageError } from '#shared/args';
import { tarGz } from '#shared/tar';
import { useLocalCloud } from './local-env';
import { formatReport, startCanaryAnalysis } from './monitoring';

const USAGE = `
npm run models -- <command> [--alias A] [--reason TEXT] [--weight W] [--off] [--models-table NAME] [--json]

  list                          every model: aliases, number of versions, latest version
  show <name> [<version>]       a model's aliases and versions, or one version in full
  promote <name> <version>      point an alias (default production) at a version
  rollback <name>               set an alias (default production) back to where it pointed before its last change
  history <name>                every alias change: when, from, to, by whom, why
  canary <name> <version> --weight W   send a share W (0 < W < 1) of sessions, sticky by session id, to a version
                                       (--version V works too); --auto then starts the canary analysis, which
                                       promotes it or rolls it back by itself (--wait follows it to its decision;
                                       --check-seconds S between checks, default 900; on AWS
                                       --canary-state-machine-arn, stack output CanaryStateMachineArn)
  canary <name> --off                  end the canary
  monitor <name>                live quality and drift of each version, from the latest monitoring reports
                                (npm run monitor runs the monitoring)
  shadow <name> <version>       also score every session with a version (logged, not returned); --off ends it
  deploy-endpoint <name> <version> [--instance-type ml.m5.large]
                                package the version as model.tar.gz and deploy it to a SageMaker endpoint
                                (serving/ image) named <stack>-<name>-<version>; waits until it is InService
  endpoint <name> <endpoint>    serve the alias (its version must be the endpoint's) from that endpoint; --off ends it
A promotion ends the alias's canary, shadow and endpoint.
On AWS, deploy-endpoint also needs --lake-bucket, --serving-image (ServingRepositoryUri:tag) and --role-arn
(SageMakerExecutionRoleArn); locally they come from the local cloud.

Promote and rollback are conditional writes: if the alias moved meanwhile, they fail and change nothing.
Locally the registry is the running local cloud's; on AWS pass --models-table (stack output ModelsTableName).
`;

const OPTIONS = {
  alias: { type: 'string' },
  reason: { type: 'string' },
  weight: { type: 'string' },
  off: { type: 'boolean', default: false },
  'instance-type': { type: 'string' },
  'models-table': { type: 'string' },
  'lake-bucket': { type: 'string' },
  'serving-image': { type: 'string' },
  'role-arn': { type: 'string' },
  version: { type: 'string' },
  auto: { type: 'boolean', default: false },
  wait: { type: 'boolean', default: false },
  'check-seconds': { type: 'string' },
  'canary-state-machine-arn': { type: 'string' },
} as const;

/** What every command gets: the table, the positionals, the options, and who is acting. */
interface Context {
  command: string;
  table: string;
  stack: Record<string, string | undefined>;
  values: ReturnType<typeof parseCli<typeof OPTIONS>>['values'];
  alias: string;
  by: string;
  positionals: (string | undefined)[];
  json: boolean;
}

/** A command's answer: the --json document and the line(s) for a person. */
interface Answer {
  value: Record<string, unknown>;
  text: () => string;
}

const need = (ctx: Context, value: string | undefined, what: string): string => {
  if (!value) throw new UsageError(`${ctx.command} needs ${what}.\n${USAGE.trim()}`);
  return value;
};
const modelName = (ctx: Context) => need(ctx, ctx.positionals[0], 'a model name');
const arrows = (aliases: Record<string, string>) =>
  Object.entries(aliases)
    .map(([a, v]) => `${a}→${v}`)
    .join(' ');

async function currentAlias(ctx: Context, name: string): Promise<AliasRecord> {
  const current = await getAlias(ctx.table, name, ctx.alias);
  if (!current) throw new Error(`${name} has no "${ctx.alias}" alias; promote a version first.`);
  return current;
}

async function list(ctx: Context): Promise<Answer> {
  const models = summarizeModels(await scanRegistry(ctx.table));
  return {
    value: { models },
    text: () =>
      models.length === 0
        ? 'No models yet: npm run train.'
        : models.map((m) => `${m.name}  ${m.versions} version(s), latest ${m.latest_version}  ${arrows(m.aliases)}`).join('\n'),
  };
}

async function show(ctx: Context): Promise<Answer> {
  const name = modelName(ctx);
  const version = ctx.positionals[1];
  if (version) {
    const entry = await getModelVersion(ctx.table, name, version);
    if (!entry) throw new Error(`${name} has no version ${version}.`);
    return { value: { version: entry }, text: () => JSON.stringify(entry, null, 2) };
  }
  const items = await readModel(ctx.table, name);
  if (!items) throw new Error(`No model named ${name}.`);
  const versions = items.versions.map(versionSummary);
  const aliases = Object.fromEntries(items.aliases.map((a) => [a.alias, a.version]));
  return {
    value: { name, aliases, versions },
    text: () =>
      [
        `${name}  ${arrows(aliases) || '(no aliases)'}`,
        ...[...versions]
          .reverse()
          .map(
            (v) =>
              `  ${v.version}  ${v.kind.padEnd(19)} test ROC-AUC ${v.test_roc_auc.toFixed(3)}  ECE ${v.test_ece.toFixed(3)}  data ${v.data.from} … ${v.data.to}${v.flagged_by_erasures ? `  (trained on erased data: ${v.flagged_by_erasures.join(', ')} — retrain)` : ''}`,
          ),
      ].join('\n'),
  };
}

async function promote(ctx: Context): Promise<Answer> {
  const name = modelName(ctx);
  const version = need(ctx, ctx.positionals[1], 'a version');
  const current = await getAlias(ctx.table, name, ctx.alias);
  const record = await setAlias(ctx.table, name, ctx.alias, {
    to: version,
    expected: current?.version ?? null,
    by: ctx.by,
    reason: ctx.values.reason ?? 'promoted by hand',
  });
  return {
    value: { alias: ctx.alias, version: record.version, previous: current?.version ?? null },
    text: () => `${name} ${ctx.alias}: ${current?.version ?? '(unset)'} → ${record.version}`,
  };
}

async function rollback(ctx: Context): Promise<Answer> {
  const name = modelName(ctx);
  const { record, from, ended_routing } = await rollbackAlias(ctx.table, name, ctx.alias, ctx.by, ctx.values.reason ?? 'rolled back by hand');
  const ended = Object.keys(ended_routing);
  return {
    value: { alias: ctx.alias, version: record.version, previous: from, ended_routing },
    text: () => `${name} ${ctx.alias}: ${from} → ${record.version} (rolled back${ended.length ? `; ended ${ended.join(', ')}` : ''})`,
  };
}

async function history(ctx: Context): Promise<Answer> {
  const name = modelName(ctx);
  const changes = aliasHistory((await readModel(ctx.table, name))?.aliases ?? []);
  return {
    value: { name, history: changes },
    text: () => changes.map((h) => `${h.at}  ${h.alias}: ${h.from ?? '(unset)'} → ${h.to}  by ${h.by}: ${h.reason}`).join('\n') || 'No alias changes yet.',
  };
}

/** canary and shadow: a second version beside the alias's (a share of sessions, or scored on the side); --off ends it. */
async function experiment(ctx: Context): Promise<Answer> {
  const name = modelName(ctx);
  const { off, weight: weightOption } = ctx.values;
  const version = off ? undefined : need(ctx, ctx.positionals[1] ?? ctx.values.version, 'a version (or --off)');
  const current = await currentAlias(ctx, name);
  let routing: Pick<AliasRouting, 'canary' | 'shadow'> | { canary: null } | { shadow: null };
  let what: string;
  if (ctx.command === 'canary') {
    const weight = Number(weightOption);
    if (!off && !(weight > 0 && weight < 1)) throw new UsageError('--weight must be a number between 0 and 1 (e.g. 0.1 for 10 % of sessions).');
    routing = version ? { canary: { version, weight } } : { canary: null };
    what = version ? `canary ${version} at ${Math.round(weight * 100)} %` : 'canary off';
  } else {
    routing = version ? { shadow: { version } } : { shadow: null };
    what = version ? `shadow ${version}` : 'shadow off';
  }
  if (ctx.values.auto && !(ctx.command === 'canary' && version))
    throw new UsageError('--auto starts the analysis of a canary: canary <name> <version> --weight W --auto.');
  const record = await setAliasRouting(ctx.table, name, ctx.alias, routing, { expected: current.version, by: ctx.by, reason: ctx.values.reason ?? what });
  const analysis = ctx.values.auto && record.canary ? await startCanary(ctx, name, record.version, record.canary, record.updated_at) : undefined;
  return {
    value: { alias: ctx.alias, version: record.version, canary: record.canary ?? null, shadow: record.shadow ?? null, ...(analysis ? { analysis } : {}) },
    text: () =>
      [
        `${name} ${ctx.alias}: ${record.version}; ${what}`,
        ...(analysis
          ? [
              `canary analysis ${analysis.run}: ${analysis.decision ? `${analysis.decision} — ${analysis.reason}` : `started (execution ${analysis.execution_arn}); npm run models -- history ${name} shows its decision`}`,
            ]
          : []),
      ].join('\n'),
  };
}

/** Starts the canary analysis on the canary just set (and, with --wait, follows it to its decision). */
async function startCanary(ctx: Context, name: string, production: string, canary: { version: string; weight: number }, startedAt: string) {
  const arn = ctx.values['canary-state-machine-arn'] ?? ctx.stack.CanaryStateMachineArn;
  if (!arn) throw new UsageError('--auto needs the canary state machine: --canary-state-machine-arn (stack output CanaryStateMachineArn).');
  const checkSeconds = ctx.values['check-seconds'] === undefined ? 900 : Number(ctx.values['check-seconds']);
  if (!(checkSeconds > 0)) throw new UsageError('--check-seconds must be a positive number.');
  return startCanaryAnalysis(
    arn,
    {
      model: name,
      alias: ctx.alias,
      production_version: production,
      canary_version: canary.version,
      weight: canary.weight,
      started_at: startedAt,
      check_seconds: checkSeconds,
    },
    { wait: ctx.values.wait === true, say: (line) => (ctx.json ? undefined : process.stderr.write(`${line}\n`)) },
  );
}

async function monitor(ctx: Context): Promise<Answer> {
  const name = modelName(ctx);
  const reports = await latestMonitorReports(ctx.table, name);
  return {
    value: { name, reports },
    text: () => (reports.length === 0 ? `No monitoring reports for ${name} yet: npm run monitor.` : reports.map(formatReport).join('\n')),
  };
}

async function deployEndpointCommand(ctx: Context): Promise<Answer> {
  const name = modelName(ctx);
  const version = need(ctx, ctx.positionals[1], 'a version');
  const { values, stack } = ctx;
  const entry = await getModelVersion(ctx.table, name, version);
  if (!entry) throw new Error(`${name} has no version ${version}.`);
  const bucket = values['lake-bucket'] ?? stack.LakeBucketName;
  const image = values['serving-image'] ?? (stack.ServingRepositoryUri ? `${stack.ServingRepositoryUri}:local` : undefined);
  const role = values['role-arn'] ?? stack.SageMakerExecutionRoleArn;
  if (!bucket || !image || !role)
    throw new UsageError(
      'deploy-endpoint needs --lake-bucket, --serving-image and --role-arn (stack outputs LakeBucketName, ServingRepositoryUri, SageMakerExecutionRoleArn).',
    );
  // SageMaker takes a model.tar.gz; it holds the verified model.json the registry recorded.
  const artifact = await getArtifact(entry.artifact);
  const key = `models/${name}/${version}/model.tar.gz`;
  await putObject(bucket, key, tarGz({ 'model.json': Buffer.from(JSON.stringify(artifact)) }), 'application/gzip');
  const stage = ctx.table.replace(/-models$/, '');
  const endpointName = `${stage}-${name}-${version}`
    .replace(/[^A-Za-z0-9-]/g, '-')
    .slice(0, 63)
    .replace(/-+$/, '');
  const say = (line: string) => (ctx.json ? undefined : process.stderr.write(`${line}\n`));
  say(`deploying ${name} ${version} to SageMaker endpoint ${endpointName} (${image})`);
  await deployEndpoint(
    { endpointName, image, modelDataUrl: `s3://${bucket}/${key}`, executionRoleArn: role, instanceType: values['instance-type'] ?? 'ml.m5.large' },
    (status) => say(`  ${status}`),
  );
  return {
    value: { endpoint: endpointName, version, model_data_url: `s3://${bucket}/${key}` },
    text: () => `${endpointName} is InService. Route an alias to it: npm run models -- endpoint ${name} ${endpointName}`,
  };
}

async function endpoint(ctx: Context): Promise<Answer> {
  const name = modelName(ctx);
  const target = ctx.values.off ? null : need(ctx, ctx.positionals[1], 'an endpoint name (or --off)');
  const current = await currentAlias(ctx, name);
  if (target) {
    const status = await endpointStatus(target);
    if (status !== 'InService')
      throw new Error(
        `SageMaker endpoint ${target} is ${status ?? 'not there'}; deploy it first (npm run models -- deploy-endpoint ${name} ${current.version}).`,
      );
  }
  const record = await setAliasRouting(
    ctx.table,
    name,
    ctx.alias,
    { endpoint: target },
    { expected: current.version, by: ctx.by, reason: ctx.values.reason ?? (target ? `served by SageMaker endpoint ${target}` : 'served in Lambda again') },
  );
  return {
    value: { alias: ctx.alias, version: record.version, endpoint: record.endpoint ?? null },
    text: () => `${name} ${ctx.alias} (${record.version}) is served ${record.endpoint ? `by SageMaker endpoint ${record.endpoint}` : 'in Lambda'}`,
  };
}

const COMMANDS: Record<string, (ctx: Context) => Promise<Answer>> = {
  list,
  show,
  promote,
  rollback,
  history,
  canary: experiment,
  shadow: experiment,
  'deploy-endpoint': deployEndpointCommand,
  endpoint,
  monitor,
};

runCli(async () => {
  const { values, positionals } = parseCli(USAGE, OPTIONS);
  const [command, ...rest] = positionals;
  const run = command === undefined ? undefined : COMMANDS[command];
  if (!run) throw new UsageError(`${command ? `Unknown command "${command}".` : 'Give a command.'}\n${USAGE.trim()}`);
  const stack: Record<string, string | undefined> = values['models-table'] === undefined ? useLocalCloud() : {};
  const json = values.json === true;
  const answer = await run({
    command: command!,
    table: values['models-table'] ?? stack.ModelsTableName!,
    stack,
    values,
    alias: values.alias ?? PRODUCTION_ALIAS,
    by: `cli/${process.env.USER ?? 'unknown'}`,
    positionals: rest,
    json,
  });
  process.stdout.write(`${json ? JSON.stringify({ ok: true, ...answer.value }) : answer.text()}\n`);
});
