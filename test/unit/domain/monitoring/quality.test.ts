import fc from 'fast-check';
import { rocAuc } from '#domain/model/metrics';
import { delongAuc, qualityFigures, zOf } from '#domain/monitoring/quality';
import { Random } from '#domain/traffic/random';

/** Scores where buyers score higher on average: y ~ Bernoulli(rate), p = sigmoid(signal·y + noise). */
function sample(seed: number, n: number, signal = 1.5) {
  const random = new Random(seed);
  const y: number[] = [];
  const p: number[] = [];
  for (let i = 0; i < n; i++) {
    const label = random.bernoulli(0.2) ? 1 : 0;
    y.push(label);
    p.push(1 / (1 + Math.exp(-(signal * label - 1.5 + random.normal()))));
  }
  return { y, p };
}

describe('live quality with intervals', () => {
  it('z of the usual confidences', () => {
    expect(zOf(0.95)).toBeCloseTo(1.959964, 5);
    expect(zOf(0.99)).toBeCloseTo(2.575829, 5);
    expect(zOf(0.9)).toBeCloseTo(1.644854, 5);
  });

  it("DeLong's AUC is the Mann–Whitney AUC, ties counted half", () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 1 }), fc.integer({ min: 0, max: 20 })), { minLength: 2, maxLength: 200 }), (pairs) => {
        const y = pairs.map(([label]) => label);
        const p = pairs.map(([, score]) => score / 20);
        const delong = delongAuc(y, p);
        if (!y.includes(0) || !y.includes(1)) expect(delong).toBeUndefined();
        else expect(delong!.auc).toBeCloseTo(rocAuc(y, p), 10);
      }),
      { numRuns: 500 },
    );
  });

  it("DeLong's variance agrees with the spread of the AUC over bootstrap resamples", () => {
    const { y, p } = sample(1, 1500);
    const delong = delongAuc(y, p)!;
    const random = new Random(2);
    const aucs = Array.from({ length: 400 }, () => {
      const picks = Array.from({ length: y.length }, () => Math.floor(random.next() * y.length));
      return rocAuc(
        picks.map((i) => y[i]!),
        picks.map((i) => p[i]!),
      );
    });
    const mean = aucs.reduce((s, a) => s + a, 0) / aucs.length;
    const variance = aucs.reduce((s, a) => s + (a - mean) ** 2, 0) / (aucs.length - 1);
    expect(delong.variance / variance).toBeGreaterThan(0.75);
    expect(delong.variance / variance).toBeLessThan(1.33);
  });

  it('intervals hold their point and shrink with more sessions; the same data and seed give the same figures', () => {
    const small = sample(3, 200);
    const large = sample(3, 5000);
    const options = { confidence: 0.95, resamples: 200, seed: 7 };
    const a = qualityFigures(small.y, small.p, options)!;
    const b = qualityFigures(large.y, large.p, options)!;
    for (const q of [a, b])
      for (const e of [q.roc_auc!, q.pr_auc!, q.log_loss, q.ece]) {
        expect(e.low).toBeLessThanOrEqual(e.value + 1e-4);
        expect(e.high).toBeGreaterThanOrEqual(e.value - 1e-4);
      }
    const width = (e: { low: number; high: number }) => e.high - e.low;
    expect(width(b.roc_auc!)).toBeLessThan(width(a.roc_auc!) / 3);
    expect(width(b.ece)).toBeLessThan(width(a.ece));
    expect(qualityFigures(small.y, small.p, options)).toEqual(a);
    expect(a).toMatchObject({ labelled: 200, positives: small.y.filter((v) => v === 1).length });
  });

  it('has no ROC-AUC without both buyers and non-buyers, and nothing without sessions', () => {
    expect(qualityFigures([0, 0, 0], [0.1, 0.2, 0.3], { confidence: 0.95, resamples: 50, seed: 1 })).toMatchObject({
      roc_auc: null,
      pr_auc: null,
      labelled: 3,
    });
    expect(qualityFigures([], [], { confidence: 0.95, resamples: 50, seed: 1 })).toBeNull();
  });
});
