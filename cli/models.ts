import { getArtifact } from '../src/adapters/model-artifacts';
import { rollbackAlias } from '../src/adapters/model-registry';
import { deployEndpoint, endpointStatus } from '../src/adapters/sagemaker';
import { tarGz } from '../src/shared/tar';
import { putObject } from '../src/adapters/s3';
import { getAlias, getModelVersion, queryModel, scanRegistry, setAlias, setAliasRouting } from '../src/adapters/models-table';
import { aliasHistory, PRODUCTION_ALIAS, summarizeModels, versionSummary, type AliasRecord, type ModelVersion } from '../src/domain/registry';
import { parseCli, runCli, UsageError } from '../src/shared/args';
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

const print = (json: boolean, value: unknown, text: () => string): void => void process.stdout.write(`${json ? JSON.stringify(value) : text()}\n`);

runCli(async () => {
  const { values, positionals } = parseCli(USAGE, {
    alias: { type: 'string' },
    reason: { type: 'string' },
    weight: { type: 'string' },
    off: { type: 'boolean', default: false },
    'instance-type': { type: 'string' },
    'models-table': { type: 'string' },
    'lake-bucket': { type: 'string' },
    'serving-image': { type: 'string' },
    'role-arn': { type: 'string' },
  });
  const stack: Record<string, string | undefined> = values['models-table'] === undefined ? useLocalCloud() : {};
  const table = values['models-table'] ?? stack.ModelsTableName!;
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
      return print(json, { ok: true, models }, () =>
        models.length === 0
          ? 'No models yet: npm run train.'
          : models
              .map(
                (m) =>
                  `${m.name}  ${m.versions} version(s), latest ${m.latest_version}  ${Object.entries(m.aliases)
                    .map(([a, v]) => `${a}→${v}`)
                    .join(' ')}`,
              )
              .join('\n'),
      );
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
      const aliases = Object.fromEntries(
        items.filter((i) => String(i.sk).startsWith('alias#')).map((a) => [(a as unknown as AliasRecord).alias, (a as unknown as AliasRecord).version]),
      );
      return print(json, { ok: true, name, aliases, versions }, () =>
        [
          `${name}  ${
            Object.entries(aliases)
              .map(([a, v]) => `${a}→${v}`)
              .join(' ') || '(no aliases)'
          }`,
          ...versions
            .reverse()
            .map(
              (v) =>
                `  ${v.version}  ${v.kind.padEnd(19)} test ROC-AUC ${v.test_roc_auc.toFixed(3)}  ECE ${v.test_ece.toFixed(3)}  data ${v.data.from} … ${v.data.to}`,
            ),
        ].join('\n'),
      );
    }
    case 'promote': {
      need(name, 'a model name');
      need(version, 'a version');
      const current = await getAlias(table, name!, alias);
      const record = await setAlias(table, name!, alias, { to: version!, expected: current?.version ?? null, by, reason: values.reason ?? 'promoted by hand' });
      return print(
        json,
        { ok: true, alias, version: record.version, previous: current?.version ?? null },
        () => `${name} ${alias}: ${current?.version ?? '(unset)'} → ${record.version}`,
      );
    }
    case 'rollback': {
      need(name, 'a model name');
      const { record, from, ended_routing } = await rollbackAlias(table, name!, alias, by, values.reason ?? 'rolled back by hand');
      const ended = Object.keys(ended_routing);
      return print(
        json,
        { ok: true, alias, version: record.version, previous: from, ended_routing },
        () => `${name} ${alias}: ${from} → ${record.version} (rolled back${ended.length ? `; ended ${ended.join(', ')}` : ''})`,
      );
    }
    case 'history': {
      need(name, 'a model name');
      const aliases = (await queryModel(table, name!, 'alias#')) as unknown as AliasRecord[];
      const history = aliasHistory(aliases);
      return print(
        json,
        { ok: true, name, history },
        () => history.map((h) => `${h.at}  ${h.alias}: ${h.from ?? '(unset)'} → ${h.to}  by ${h.by}: ${h.reason}`).join('\n') || 'No alias changes yet.',
      );
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
      const what = values.off
        ? `${command} off`
        : command === 'canary'
          ? `canary ${version} at ${Math.round(Number(values.weight) * 100)} %`
          : `shadow ${version}`;
      const record = await setAliasRouting(table, name!, alias, routing, { expected: current.version, by, reason: values.reason ?? what });
      return print(
        json,
        { ok: true, alias, version: record.version, canary: record.canary ?? null, shadow: record.shadow ?? null },
        () => `${name} ${alias}: ${record.version}; ${what}`,
      );
    }
    case 'deploy-endpoint': {
      need(name, 'a model name');
      need(version, 'a version');
      const entry = await getModelVersion(table, name!, version!);
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
      const stage = table.replace(/-models$/, '');
      const endpointName = `${stage}-${name}-${version}`
        .replace(/[^A-Za-z0-9-]/g, '-')
        .slice(0, 63)
        .replace(/-+$/, '');
      const say = (line: string) => (json ? undefined : process.stderr.write(`${line}\n`));
      say(`deploying ${name} ${version} to SageMaker endpoint ${endpointName} (${image})`);
      await deployEndpoint(
        { endpointName, image, modelDataUrl: `s3://${bucket}/${key}`, executionRoleArn: role, instanceType: values['instance-type'] ?? 'ml.m5.large' },
        (status) => say(`  ${status}`),
      );
      return print(
        json,
        { ok: true, endpoint: endpointName, version, model_data_url: `s3://${bucket}/${key}` },
        () => `${endpointName} is InService. Route an alias to it: npm run models -- endpoint ${name} ${endpointName}`,
      );
    }
    case 'endpoint': {
      need(name, 'a model name');
      const endpoint = values.off ? null : need(version, 'an endpoint name (or --off)');
      const current = await getAlias(table, name!, alias);
      if (!current) throw new Error(`${name} has no "${alias}" alias; promote a version first.`);
      if (endpoint) {
        const status = await endpointStatus(endpoint);
        if (status !== 'InService')
          throw new Error(
            `SageMaker endpoint ${endpoint} is ${status ?? 'not there'}; deploy it first (npm run models -- deploy-endpoint ${name} ${current.version}).`,
          );
      }
      const record = await setAliasRouting(
        table,
        name!,
        alias,
        { endpoint },
        { expected: current.version, by, reason: values.reason ?? (endpoint ? `served by SageMaker endpoint ${endpoint}` : 'served in Lambda again') },
      );
      return print(
        json,
        { ok: true, alias, version: record.version, endpoint: record.endpoint ?? null },
        () => `${name} ${alias} (${record.version}) is served ${record.endpoint ? `by SageMaker endpoint ${record.endpoint}` : 'in Lambda'}`,
      );
    }
    default:
      throw new UsageError(`${command ? `Unknown command "${command}".` : 'Give a command.'}\n${USAGE.trim()}`);
  }
});
