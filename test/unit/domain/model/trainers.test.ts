import { parse } from 'csv-parse/sync';
import { readFileSync } from 'node:fs';
import { crossValidate } from '#domain/model/cross-validate';
import type { Dataset } from '#domain/model/dataset';
import { predictGbdt, trainGbdt, GBDT_DEFAULTS } from '#domain/model/gbdt';
import { predictLogistic, trainLogistic } from '#domain/model/logistic';
import { tabularDataset } from '#domain/model/tabular';
import { sharedData } from '../../../helpers/requirements';

/** A dataset whose truth is known: y depends on x0 > 0 (strongly) and x1 (weakly); x2 is noise, often missing. */
function synthetic(rows: number, seed = 1): Dataset {
  let s = seed;
  const random = () => (s = (s * 16807) % 2147483647) / 2147483647;
  const x = new Float64Array(rows * 3);
  const y = new Uint8Array(rows);
  for (let i = 0; i < rows; i++) {
    const a = random() * 2 - 1;
    const b = random() * 2 - 1;
    x.set([a, b, random() < 0.3 ? Number.NaN : random()], i * 3);
    y[i] = random() < 1 / (1 + Math.exp(-(6 * (a > 0 ? 1 : -1) + b))) ? 1 : 0;
  }
  return { featureNames: ['a', 'b', 'noise'], rows, cols: 3, x, y };
}

describe('trainers', () => {
  it('the GBDT learns a step and handles missing values', () => {
    const model = trainGbdt(synthetic(4000), { ...GBDT_DEFAULTS, maxIterations: 60 });
    expect(predictGbdt(model, [0.5, 0, Number.NaN])).toBeGreaterThan(0.9);
    expect(predictGbdt(model, [-0.5, 0, 0.5])).toBeLessThan(0.1);
    expect(model.trees.length).toBeGreaterThan(5);
    expect(JSON.parse(JSON.stringify(model))).toEqual(model);
  });

  it('the GBDT stops early when validation loss stops improving', () => {
    const model = trainGbdt(synthetic(2000, 7), { ...GBDT_DEFAULTS, maxIterations: 500, patience: 5 });
    expect(model.trees.length).toBeLessThan(500);
  });

  it('logistic regression recovers the direction of the effects', () => {
    const model = trainLogistic(synthetic(4000));
    expect(model.weights[0]!).toBeGreaterThan(1);
    expect(model.weights[1]!).toBeGreaterThan(0);
    expect(Math.abs(model.weights[2]!)).toBeLessThan(0.2);
    expect(predictLogistic(model, [0.9, 0.5, Number.NaN])).toBeGreaterThan(0.9);
  });

  it('reach the UCI Online Shoppers targets (5-fold CV): GBDT ROC-AUC ≥ 0.925, logistic ≥ 0.89', () => {
    const { data, columns } = tabularDataset(
      parse(readFileSync(sharedData('uci-online-shoppers/online_shoppers_intention.csv')), { columns: true }),
      'Revenue',
    );
    expect(columns.filter((c) => c.kind === 'categorical').map((c) => c.name)).toEqual(['Month', 'VisitorType']);
    expect(crossValidate('gbdt', data, 5).roc_auc).toBeGreaterThanOrEqual(0.925);
    expect(crossValidate('logreg', data, 5).roc_auc).toBeGreaterThanOrEqual(0.89);
  });
});
