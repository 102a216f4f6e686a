import fc from 'fast-check';
import { decileEdges, driftFigures, driftReference, histogram, psi } from '#domain/monitoring/drift';
import { Random } from '#domain/traffic/random';

const normal = (random: Random, n: number, mean = 0) => Array.from({ length: n }, () => mean + random.normal());

describe('drift: population stability index over bins fixed at training time', () => {
  it('bins at the deciles, merging repeated ones (a 0/1 feature gets two bins), missing values apart', () => {
    expect(decileEdges([0, 0, 0, 0, 1, 1, 1, 1, 1, 1])).toEqual([0, 1]);
    expect(decileEdges(Array.from({ length: 100 }, (_, i) => i))).toEqual([10, 20, 30, 40, 50, 60, 70, 80, 90]);
    expect(decileEdges([Number.NaN])).toEqual([]);
    expect(histogram([0, 1, 1, Number.NaN], [0, 1])).toEqual({ edges: [0, 1], fractions: [0.25, 0.5, 0, 0.25] });
  });

  it('is 0 for the reference itself, and never negative', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: -1e6, max: 1e6, noNaN: true }), { minLength: 1, maxLength: 300 }),
        fc.array(fc.double({ min: -1e6, max: 1e6, noNaN: true }), { maxLength: 300 }),
        (reference, served) => {
          const h = histogram(reference, decileEdges(reference));
          expect(psi(h, reference)).toBeCloseTo(0, 6);
          expect(psi(h, served)).toBeGreaterThanOrEqual(0);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('stays under 0.1 for another sample of the same distribution, crosses the default threshold (0.2) for a shift of half a standard deviation', () => {
    const random = new Random(3);
    const reference = histogram(normal(random, 5000), decileEdges(normal(new Random(4), 5000)));
    expect(psi(reference, normal(random, 2000))).toBeLessThan(0.1);
    expect(psi(reference, normal(random, 2000, 0.5))).toBeGreaterThan(0.2);
    expect(psi(reference, normal(random, 2000, 1))).toBeGreaterThan(0.8);
  });

  it('reports every feature, the largest first, and those over the threshold', () => {
    const random = new Random(5);
    const columns = { stable: Float64Array.from(normal(random, 3000)), moved: Float64Array.from(normal(random, 3000)) };
    const reference = driftReference(columns, Float64Array.from(normal(random, 3000)));
    const figures = driftFigures(reference, { features: { stable: normal(random, 1000), moved: normal(random, 1000, 1) }, scores: normal(random, 1000) }, 0.2);
    expect(figures.features.map((f) => f.feature)).toEqual(['moved', 'stable']);
    expect(figures).toMatchObject({ rows: 1000, drifted: ['moved'] });
    expect(figures.max_feature_psi).toBe(figures.features[0]!.psi);
    expect(figures.score_psi).toBeLessThan(0.1);
    expect(figures.not_judged).toEqual([]);
    // A feature not judged (a calendar feature whose cycle the sessions do not cover) is shown, never counted.
    const skipping = driftFigures(
      reference,
      { features: { stable: normal(random, 1000), moved: normal(random, 1000, 1) }, scores: normal(random, 1000) },
      0.2,
      ['moved'],
    );
    expect(skipping).toMatchObject({ drifted: [], not_judged: ['moved'] });
    expect(skipping.max_feature_psi).toBe(skipping.features.find((f) => f.feature === 'stable')!.psi);
  });
});
