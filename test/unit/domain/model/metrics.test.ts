import fc from 'fast-check';
import { averagePrecision, curves, evaluate, rocAuc } from '#domain/model/metrics';
import { fuzzSeed } from '../../../helpers/fuzz';

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

  it('draws the ROC curve from (0, 0) to (1, 1), never falling, with the area of rocAuc; the calibration bins hold every score', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ y: fc.constantFrom(0, 1), p: fc.integer({ min: 0, max: 20 }).map((k) => k / 20) }), { minLength: 2, maxLength: 300 }),
        (rows) => {
          const [y, p] = [rows.map((r) => r.y), rows.map((r) => r.p)];
          if (new Set(y).size < 2) return;
          const { roc, calibration } = curves(y, p, 1000);
          expect(roc[0]).toEqual([0, 0]);
          expect(roc.at(-1)).toEqual([1, 1]);
          for (let i = 1; i < roc.length; i++) expect(roc[i]![0] >= roc[i - 1]![0] && roc[i]![1] >= roc[i - 1]![1]).toBe(true);
          const area = roc.slice(1).reduce((a, [x, t], i) => a + ((x - roc[i]![0]) * (t + roc[i]![1])) / 2, 0);
          expect(area).toBeCloseTo(rocAuc(y, p), 3);
          expect(calibration.reduce((n, b) => n + b.count, 0)).toBe(rows.length);
        },
      ),
      { numRuns: 300, seed: fuzzSeed() },
    );
    expect(curves([0, 1, 0, 1], [0.1, 0.9, 0.2, 0.8], 1).roc).toEqual([
      [0, 0],
      [1, 1],
    ]);
  });
});
