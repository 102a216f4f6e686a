import { parse } from 'csv-parse/sync';
import { existsSync, readFileSync } from 'node:fs';
import { crossValidate, type CvSummary, type ModelKind } from '#domain/model/cross-validate';
import { tabularDataset } from '#domain/model/tabular';
import { intOption, parseCli, runCli, UsageError } from '#shared/args';

const USAGE = `
npm run cv -- <file.csv> --label <column> [--cv 5] [--models gbdt,logreg] [--seed 0] [--json]

Cross-validates the trainers on a session-feature CSV: numeric columns as numbers, TRUE/FALSE as 0/1,
other columns one-hot; stratified folds, no resampling, threshold 0.5. Prints mean ROC-AUC, PR-AUC,
F1, log loss, accuracy, Brier score and calibration error per model.
`;

runCli(async () => {
  const { values, positionals } = parseCli(USAGE, { label: { type: 'string' }, cv: { type: 'string' }, models: { type: 'string' }, seed: { type: 'string' } });
  const file = positionals[0];
  if (!file || !existsSync(file)) throw new UsageError(`${file ? `${file} does not exist` : 'Name the CSV file'}.\n${USAGE}`);
  if (!values.label) throw new UsageError(`--label is required.\n${USAGE}`);
  const k = intOption(values.cv, 'cv', 5, 2);
  const seed = intOption(values.seed, 'seed', 0);
  const kinds = (values.models ?? 'gbdt,logreg').split(',') as ModelKind[];
  for (const kind of kinds) if (kind !== 'gbdt' && kind !== 'logreg') throw new UsageError(`--models takes gbdt and/or logreg (got "${kind}").`);

  const rows = parse(readFileSync(file), { columns: true, skip_empty_lines: true }) as Record<string, string>[];
  const { data, columns } = tabularDataset(rows, values.label);
  const log = (line: string) => (values.json ? undefined : process.stderr.write(`${line}\n`));
  log(
    `${data.rows} rows, ${data.featureNames.length} features (${
      columns
        .filter((c) => c.kind === 'categorical')
        .map((c) => c.name)
        .join(', ') || 'no'
    } one-hot), ${data.y.reduce((s, v) => s + v, 0)} positives`,
  );

  const models: Partial<Record<ModelKind, Omit<CvSummary, 'folds'>>> = {};
  for (const kind of kinds) {
    const { folds: _folds, ...summary } = crossValidate(kind, data, k, seed, (fold) => log(`  ${kind}: fold ${fold + 1}/${k} done`));
    models[kind] = summary;
    log(
      `${kind.padEnd(7)} ROC-AUC ${summary.roc_auc.toFixed(3)}  PR-AUC ${summary.pr_auc.toFixed(3)}  F1 ${summary.f1.toFixed(3)}  log loss ${summary.log_loss.toFixed(3)}  accuracy ${summary.accuracy.toFixed(3)}  (${summary.seconds.toFixed(1)}s)`,
    );
  }
  if (values.json) process.stdout.write(`${JSON.stringify({ ok: true, rows: data.rows, features: data.featureNames.length, cv: k, models })}\n`);
});
