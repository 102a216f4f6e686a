import { parse } from 'csv-parse/sync';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { stratifiedFolds, subset, type Dataset } from '#domain/model/dataset';
import { explainGbdt, predictGbdt } from '#domain/model/gbdt';
import { libsvmLine, parseLibsvm } from '#domain/model/libsvm';
import { evaluate } from '#domain/model/metrics';
import { tabularDataset } from '#domain/model/tabular';
import { parseXgboostModel, thresholdFor, xgboostToGbdt, XgboostModelError } from '#domain/model/xgboost';
import { runXgboostAlgorithm, XGBOOST_INSTALL, XGBOOST_PYTHON } from '../../../../local/sagemaker-training';
import { requireTool, sharedData } from '../../../helpers/requirements';
import { readDefinition } from '../../../helpers/state-machines';

/** The hyperparameters the training workflow gives SageMaker: the XGBoost path as deployed. */
const HYPERPARAMETERS = readDefinition('training').States.TrainOnSageMaker.Parameters.HyperParameters as Record<string, string>;
const PREDICT = path.resolve(__dirname, '..', '..', '..', 'helpers', 'xgboost_predict.py');

const uci = () => tabularDataset(parse(readFileSync(sharedData('uci-online-shoppers/online_shoppers_intention.csv')), { columns: true }), 'Revenue').data;

const libsvm = (data: Dataset) =>
  Array.from({ length: data.rows }, (_, i) => `${libsvmLine(data.y[i]!, data.x.subarray(i * data.cols, (i + 1) * data.cols))}\n`).join('');

let work: string;
beforeAll(() => {
  requireTool(XGBOOST_PYTHON, ['-c', 'import xgboost'], XGBOOST_INSTALL);
  work = mkdtempSync(path.join(os.tmpdir(), 'xgboost-test-'));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Trains through the local SageMaker container program, as a training job would. */
async function train(name: string, channels: { train: Dataset; validation: Dataset }) {
  const root = path.join(work, name);
  for (const [channel, data] of Object.entries(channels)) {
    mkdirSync(path.join(root, 'input', 'data', channel), { recursive: true });
    writeFileSync(path.join(root, 'input', 'data', channel, 'part-00000.libsvm'), libsvm(data));
  }
  const run = await runXgboostAlgorithm(
    root,
    { train: { ContentType: 'text/libsvm' }, validation: { ContentType: 'text/libsvm' } },
    HYPERPARAMETERS,
    path.join(root, 'algorithm.log'),
  );
  expect(run).toMatchObject({ exitCode: 0 });
  return { file: path.join(root, 'model', 'xgboost-model'), run };
}

describe('XGBoost models in the serving trees', () => {
  it('a split goes left exactly when XGBoost sends it left: v ≤ thresholdFor(t) ⇔ float32(v) < t', () => {
    const float32 = fc.float({ noNaN: true, noDefaultInfinity: true, min: Math.fround(-1e30), max: Math.fround(1e30) });
    fc.assert(
      fc.property(float32, fc.integer({ min: -3, max: 3 }), fc.double({ min: -1, max: 1, noNaN: true }), (t, ulps, fraction) => {
        // Values around t: float32 neighbours, the midpoints between them, and doubles in between.
        const f = new Float32Array([t]);
        const u = new Int32Array(f.buffer);
        u[0]! += ulps;
        const near = f[0]!;
        const spacing = Math.abs(near) * 2 ** -23 || 2 ** -149;
        for (const v of [near, near + spacing / 2, near - spacing / 2, near + fraction * spacing]) {
          if (!Number.isFinite(v)) continue;
          expect([v, v <= thresholdFor(t)]).toEqual([v, Math.fround(v) < t]);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('scores the test sessions as XGBoost does (to 1e-6) and explains them with XGBoost’s own contributions, from the binary and the JSON model', async () => {
    const data = uci();
    // Some values missing (a session's features often are): XGBoost routes them its default way, and so must we.
    for (let k = 0; k < data.x.length; k += 1 + (k % 13)) data.x[k] = Number.NaN;
    const [testRows, validationRows] = stratifiedFolds(data.y, 7, 3);
    const held = new Set([...testRows!, ...validationRows!]);
    const trainRows = Array.from({ length: data.rows }, (_, i) => i).filter((i) => !held.has(i));
    const { file } = await train('parity', { train: subset(data, trainRows), validation: subset(data, validationRows!) });
    // The test channel as the registration reads it: the libsvm text, parsed.
    const testFile = path.join(work, 'parity-test.libsvm');
    writeFileSync(testFile, libsvm(subset(data, testRows!)));
    const test = parseLibsvm(readFileSync(testFile, 'utf8'), data.featureNames);
    const xgb = JSON.parse(execFileSync(XGBOOST_PYTHON, [PREDICT, file, testFile], { maxBuffer: 256 * 1024 * 1024, encoding: 'utf8' })) as {
      p: number[];
      contribs: number[][];
    };
    expect(xgb.p).toHaveLength(test.rows);
    const binary = xgboostToGbdt(parseXgboostModel(readFileSync(file)), data.featureNames);
    const json = xgboostToGbdt(parseXgboostModel(readFileSync(`${file}.json`)), data.featureNames);
    expect(binary.trees.length).toBeGreaterThan(20);
    expect(json).toEqual(binary);
    let maxP = 0;
    let maxContribution = 0;
    for (let i = 0; i < test.rows; i++) {
      const row = test.x.subarray(i * test.cols, (i + 1) * test.cols);
      maxP = Math.max(maxP, Math.abs(predictGbdt(binary, row) - xgb.p[i]!));
      const { bias, contributions } = explainGbdt(binary, row);
      const theirs = xgb.contribs[i]!;
      for (let j = 0; j < test.cols; j++) maxContribution = Math.max(maxContribution, Math.abs(contributions[j]! - theirs[j]!));
      maxContribution = Math.max(maxContribution, Math.abs(bias - theirs[test.cols]!));
    }
    process.stdout.write(
      `parity on ${test.rows} test sessions, ${binary.trees.length} trees: max |Δp| ${maxP.toExponential(2)}, max |Δcontribution| ${maxContribution.toExponential(2)}\n`,
    );
    expect(maxP).toBeLessThanOrEqual(1e-6);
    // XGBoost sums contributions in float32; ours are doubles.
    expect(maxContribution).toBeLessThanOrEqual(1e-5);
  }, 120_000);

  it('reaches ROC-AUC ≥ 0.93 on UCI Online Shoppers in 5-fold CV (the workflow’s hyperparameters, scored by the serving trees)', async () => {
    const data = uci();
    const aucs: number[] = [];
    for (const [fold, testRows] of stratifiedFolds(data.y, 5, 0).entries()) {
      const testSet = new Set(testRows);
      const rest = subset(
        data,
        Array.from({ length: data.rows }, (_, i) => i).filter((i) => !testSet.has(i)),
      );
      // Early stopping on a tenth of the training rows, as the workflow stops on its validation channel.
      const validationRows = new Set(stratifiedFolds(rest.y, 10, 1)[0]);
      const { file } = await train(`cv-${fold}`, {
        train: subset(
          rest,
          Array.from({ length: rest.rows }, (_, i) => i).filter((i) => !validationRows.has(i)),
        ),
        validation: subset(rest, [...validationRows]),
      });
      const model = xgboostToGbdt(parseXgboostModel(readFileSync(file)), data.featureNames);
      const test = subset(data, testRows);
      const p = Float64Array.from({ length: test.rows }, (_, i) => predictGbdt(model, test.x.subarray(i * test.cols, (i + 1) * test.cols)));
      aucs.push(evaluate(test.y, p).roc_auc);
    }
    const mean = aucs.reduce((a, b) => a + b, 0) / aucs.length;
    process.stdout.write(`XGBoost path, UCI 5-fold CV ROC-AUC ${mean.toFixed(4)} (${aucs.map((a) => a.toFixed(3)).join(', ')})\n`);
    expect(mean).toBeGreaterThanOrEqual(0.93);
  }, 300_000);

  it('refuses what it cannot serve, saying why', () => {
    expect(() => parseXgboostModel(Buffer.from('{"learner": {}}'))).toThrow(XgboostModelError);
    expect(() => parseXgboostModel(Buffer.from([0x7b, 0x4c]))).toThrow(/not valid JSON/);
    expect(() => parseXgboostModel(Buffer.from('binf\0\0'))).toThrow(/truncated/);
    expect(() => parseXgboostModel(Buffer.from([0x5b, 0x24]))).toThrow(/UBJSON/);
  });
});
