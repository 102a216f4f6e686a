import { existsSync, readFileSync } from 'node:fs';
import { readFeatureTable } from '#adapters/feature-store';
import { registerCandidate } from '#adapters/candidates';
import { getModelVersion } from '#adapters/registry-table';
import { versionStamp } from '#domain/registry';
import { bayesGap, trainPurchasePropensity } from '#domain/model/training-run';
import { trainConfig } from '#shared/config';
import { dateRange, parseCli, runCli, UsageError } from '#shared/args';

const USAGE = `
train --from YYYY-MM-DD --to YYYY-MM-DD [--version V] [--truth FILE] [--json]

The training job (AWS Batch container entrypoint; locally: npm run train:batch). Reads the session
features of the range from the lake, splits by time, trains the GBDT and the logistic regression,
writes the chosen model's artifact to s3://$LAKE_BUCKET_NAME/models/<name>/<version>/model.json and
registers the version in $MODELS_TABLE_NAME. If a production version exists, it is scored on the same
test window and recorded beside the candidate's metrics (the workflow's evaluation gate compares them).
--version: the version to register (the training workflow passes its run's); default: the current UTC time.
--truth: on generated traffic, the generator's true purchase probabilities (.local/truth/seed-<S>.jsonl);
the job then reports the Bayes-optimal ROC-AUC beside the model's on the same test sessions.
Environment: LAKE_BUCKET_NAME, MODELS_TABLE_NAME (required), MODEL_NAME, CODE_VERSION, AWS_BATCH_JOB_ID.
`;

function readTruth(file: string): Map<string, number> {
  if (!existsSync(file)) throw new UsageError(`--truth ${file} does not exist (npm run generate writes .local/truth/seed-<S>.jsonl).`);
  const lines = readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '');
  return new Map(lines.map((l) => JSON.parse(l) as { session_id: string; purchase_probability: number }).map((t) => [t.session_id, t.purchase_probability]));
}

runCli(async () => {
  const { values } = parseCli(USAGE, { from: { type: 'string' }, to: { type: 'string' }, version: { type: 'string' }, truth: { type: 'string' } });
  if (values.version !== undefined && !/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(values.version))
    throw new UsageError(`--version ${values.version}: use letters, digits, ".", "_" or "-" (at most 64).`);
  const { from, to } = dateRange(values, USAGE);
  const config = trainConfig();
  const log = (line: string) => (values.json ? undefined : process.stderr.write(`train: ${line}\n`));
  // A retried job (Batch, or the workflow's retry) finds the version its first attempt registered: done, not an error.
  const existing = values.version === undefined ? undefined : await getModelVersion(config.modelsTableName, config.modelName, values.version);
  if (existing) {
    const summary = {
      ok: true,
      name: config.modelName,
      version: existing.version,
      already_registered: true,
      artifact: existing.artifact,
      metrics: existing.metrics.test,
    };
    if (values.json) process.stdout.write(`${JSON.stringify(summary)}\n`);
    else process.stdout.write(`model ${config.modelName} ${existing.version} is already registered (an earlier attempt of this run); nothing to do\n`);
    return;
  }
  log(`reading features ${from} … ${to} from s3://${config.lakeBucketName}`);
  const { table, partitions } = await readFeatureTable(config.lakeBucketName, from, to);
  if (table.rows === 0) throw new Error(`No features for ${from} … ${to}: run the feature job first (locally: npm run features).`);
  log(`${table.rows} sessions in ${partitions.length} partitions; training`);
  const result = trainPurchasePropensity(table);
  log(
    `fitted: GBDT ${result.fit.gbdt.trees} trees in ${result.fit.gbdt.seconds.toFixed(1)} s, logistic regression in ${result.fit.logreg.seconds.toFixed(1)} s`,
  );
  const version = values.version ?? versionStamp(new Date());
  const registered = await registerCandidate(
    {
      tableName: config.modelsTableName,
      bucket: config.lakeBucketName,
      modelName: config.modelName,
      version,
      model: result.model,
      metrics: result.candidates[result.chosen],
      testCurves: result.testCurves,
      reference: result.reference,
      data: { from, to, partitions },
      jobId: config.jobId,
      codeVersion: config.codeVersion,
      details: { trainer: 'batch', candidates: result.candidates, data: { split: result.split } },
    },
    result.testData,
    log,
  );
  const baseline = registered.baseline;
  const stored = registered.artifact;
  const truth = values.truth ? readTruth(values.truth) : undefined;
  const bayes = truth ? bayesGap(result.testPredictions, truth) : undefined;
  const summary = {
    ok: true,
    name: config.modelName,
    version,
    chosen: result.chosen,
    artifact: stored,
    metrics: registered.metrics.test,
    split: result.split,
    fit: result.fit,
    ...(baseline ? { baseline: { version: baseline.version, test: baseline.test } } : {}),
    ...(bayes ? { bayes } : {}),
  };
  if (values.json) process.stdout.write(`${JSON.stringify(summary)}\n`);
  else {
    for (const [kind, m] of Object.entries(result.candidates)) {
      log(
        `${kind.padEnd(7)} test ROC-AUC ${m.test.roc_auc.toFixed(3)}  PR-AUC ${m.test.pr_auc.toFixed(3)}  log loss ${m.test.log_loss.toFixed(3)}  ECE ${m.test.ece.toFixed(3)}`,
      );
    }
    if (bayes)
      log(
        `Bayes-optimal ROC-AUC ${bayes.bayes_roc_auc.toFixed(3)} vs model ${bayes.model_roc_auc.toFixed(3)} on ${bayes.sessions} test sessions (gap ${bayes.gap.toFixed(3)})`,
      );
    process.stdout.write(`model ${config.modelName} ${version} (${result.chosen}) → ${stored.uri}\n`);
  }
});
