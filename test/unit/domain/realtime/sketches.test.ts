import fc from 'fast-check';
import {
  EXACT_UP_TO,
  HLL_STANDARD_ERROR,
  HyperLogLog,
  LINEAR_BITS,
  PeopleCounter,
  QUANTILE_RELATIVE_ERROR,
  TopK,
  histogramAdd,
  histogramMerge,
  histogramQuantile,
} from '#domain/realtime/sketches';

const ids = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}-${i}`);

describe('HyperLogLog', () => {
  it.each([10, 1_000, 10_000, 200_000])('counts %i distinct ids within 3 standard errors (%#)', (n) => {
    const hll = HyperLogLog.empty();
    for (const id of ids('visitor', n)) hll.add(id);
    // Repeats change nothing.
    for (const id of ids('visitor', Math.min(n, 1_000))) hll.add(id);
    expect(Math.abs(hll.estimate() - n) / n).toBeLessThanOrEqual(3 * HLL_STANDARD_ERROR);
  });

  it('stays within its stated error over many independent sets (the error is what README states)', () => {
    const errors = Array.from({ length: 40 }, (_, k) => {
      const hll = HyperLogLog.empty();
      for (const id of ids(`set${k}`, 20_000)) hll.add(id);
      return (hll.estimate() - 20_000) / 20_000;
    });
    const rms = Math.sqrt(errors.reduce((s, e) => s + e * e, 0) / errors.length);
    expect(rms).toBeLessThan(1.5 * HLL_STANDARD_ERROR);
  });

  it('merges as a union, and survives its JSON form', () => {
    const a = HyperLogLog.empty();
    const b = HyperLogLog.empty();
    for (const id of ids('x', 6_000)) a.add(id);
    for (const id of ids('x', 9_000).slice(3_000)) b.add(id);
    const merged = HyperLogLog.from(JSON.parse(JSON.stringify(a)));
    merged.merge(HyperLogLog.from(b.toJSON()));
    expect(Math.abs(merged.estimate() - 9_000) / 9_000).toBeLessThanOrEqual(3 * HLL_STANDARD_ERROR);
    expect(JSON.stringify(a).length).toBeLessThan(6_000);
  });

  it('refuses registers that are not its own', () => {
    expect(() => HyperLogLog.from(Buffer.alloc(10).toString('base64'))).toThrow(RangeError);
  });
});

describe('PeopleCounter', () => {
  it(`counts up to ${EXACT_UP_TO} people exactly, merged or not (the storefront's "N people")`, () => {
    for (const n of [0, 1, 3, 17, EXACT_UP_TO]) {
      const a = PeopleCounter.from(undefined);
      const b = PeopleCounter.from(undefined);
      ids('p', n).forEach((id, i) => (i % 2 ? a : b).add(id));
      a.add('p-0');
      const merged = PeopleCounter.from(JSON.parse(JSON.stringify(a)));
      merged.merge(b);
      expect(merged.estimate()).toBe(n === 0 ? 1 : n);
    }
  });

  it('past that, estimates from its bitmap within 4 standard errors (n/√(2·bits)), merged or not', () => {
    for (const n of [33, 100, 400]) {
      const a = PeopleCounter.from(undefined);
      const b = PeopleCounter.from(undefined);
      ids(`q${n}`, n).forEach((id, i) => (i % 3 ? a : b).add(id));
      a.merge(PeopleCounter.from(b.toJSON()));
      expect(typeof a.toJSON()).toBe('string');
      expect(Math.abs(a.estimate() - n)).toBeLessThanOrEqual((4 * n) / Math.sqrt(2 * LINEAR_BITS));
    }
  });
});

describe('TopK (Space-Saving)', () => {
  it('keeps every key counted more than total/capacity times, each count overstated by at most its error', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 60 }), { minLength: 1, maxLength: 2_000 }), (stream) => {
        const top = new TopK(20);
        const truth = new Map<number, number>();
        for (const k of stream) {
          top.add(`p${k}`, `v${k}`);
          truth.set(k, (truth.get(k) ?? 0) + 1);
        }
        const kept = new Map(top.top().map((e) => [e.key, e]));
        for (const [k, n] of truth) {
          const e = kept.get(`p${k}`);
          if (n > stream.length / 20) expect(e).toBeDefined();
          if (e) {
            expect(e.count).toBeGreaterThanOrEqual(n);
            expect(e.count - e.error).toBeLessThanOrEqual(n);
          }
        }
      }),
    );
  });

  it('merges key by key and keeps each key’s visitors as a union', () => {
    const a = new TopK(10);
    const b = new TopK(10);
    a.add('p1', 'alice');
    a.add('p1', 'bob');
    b.add('p1', 'bob');
    b.add('p2', 'carol');
    const merged = new TopK(Number.MAX_SAFE_INTEGER);
    merged.merge(a.toJSON());
    merged.merge(JSON.parse(JSON.stringify(b)));
    expect(merged.get('p1')).toEqual({ count: 3, visitors: 2 });
    expect(merged.top().map((e) => e.key)).toEqual(['p1', 'p2']);
  });
});

describe('log histogram', () => {
  it(`reports quantiles within ${QUANTILE_RELATIVE_ERROR * 100} % of the exact ones, merged or not`, () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 2, max: 7 * 86_400_000 }), { minLength: 1, maxLength: 500 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (values, q) => {
          const left = {};
          const right = {};
          values.forEach((v, i) => histogramAdd(i % 2 ? left : right, v));
          histogramMerge(left, right);
          const sorted = [...values].sort((a, b) => a - b);
          const exact = sorted[Math.floor(q * (sorted.length - 1))]!;
          expect(Math.abs(histogramQuantile(left, q)! - exact) / exact).toBeLessThanOrEqual(QUANTILE_RELATIVE_ERROR + 1e-9);
        },
      ),
    );
    expect(histogramQuantile({}, 0.5)).toBeNull();
  });
});
