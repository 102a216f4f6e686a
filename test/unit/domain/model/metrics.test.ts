import { averagePrecision, evaluate, rocAuc } from '#domain/model/metrics';

describe('metrics (scikit-learn definitions)', () => {
  // Worked by hand: 16 positive/negative pairs, 12 ordered right and 2 ties (0.4 vs 0.4) → 13/16;
  // AP = .25·1 + .25·1 + .25·(3/5) + .25·(4/6).
  const y = [0, 0, 1, 1, 0, 1, 0, 1];
  const p = [0.1, 0.4, 0.35, 0.8, 0.4, 0.9, 0.2, 0.4];

  it('ROC-AUC counts ties as half', () => {
    expect(rocAuc(y, p)).toBeCloseTo(13 / 16, 12);
    expect(rocAuc([0, 1], [0.5, 0.5])).toBe(0.5);
  });

  it('average precision steps over distinct thresholds', () => {
    expect(averagePrecision(y, p)).toBeCloseTo(0.25 + 0.25 + 0.25 * 0.6 + 0.25 * (4 / 6), 12);
  });

  it('log loss, F1, accuracy and calibration error', () => {
    const m = evaluate([0, 1, 1, 0], [0.2, 0.7, 0.4, 0.6]);
    expect(m.log_loss).toBeCloseTo((-Math.log(0.8) - Math.log(0.7) - Math.log(0.4) - Math.log(0.4)) / 4, 12);
    expect(m.f1).toBeCloseTo(0.5, 12);
    expect(m.accuracy).toBe(0.5);
    expect(m.ece).toBeCloseTo((0.2 + 0.3 + 0.6 + 0.6) / 4, 12);
    expect(m).toMatchObject({ count: 4, positives: 2 });
  });
});
