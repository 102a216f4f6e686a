import { fnv1a32 } from '../hash';

/**
 * The bounded summaries a window's state is made of (Lambda keeps at most 1 MB of state per shard and window):
 * a HyperLogLog for distinct counts, a linear counter for small distinct counts, a Space-Saving top-k and a
 * log-bucketed histogram for quantiles. Each serializes to JSON (the state Lambda passes between invocations)
 * and merges, so shards and windows add up. Small enough to own: no maintained JS library keeps them as JSON.
 */

/** MurmurHash3's finalizer over FNV-1a: FNV alone leaves the high bits (HyperLogLog's register index) poorly mixed. */
export function hash32(text: string): number {
  let h = fnv1a32(text);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

const HLL_PRECISION = 12;
const HLL_REGISTERS = 1 << HLL_PRECISION;
/** HyperLogLog's relative standard error at this precision: 1.04/√m = 1.6 %. */
export const HLL_STANDARD_ERROR = 1.04 / Math.sqrt(HLL_REGISTERS);
const TWO_32 = 2 ** 32;

/** HyperLogLog (Flajolet et al. 2007) with 4,096 registers: 4 KB whatever the count, 1.6 % standard error. */
export class HyperLogLog {
  private constructor(private readonly registers: Uint8Array) {}

  static empty(): HyperLogLog {
    return new HyperLogLog(new Uint8Array(HLL_REGISTERS));
  }

  /** From `toJSON()`'s text (base64); an empty sketch for undefined. */
  static from(text: string | undefined): HyperLogLog {
    if (text === undefined) return HyperLogLog.empty();
    const bytes = Buffer.from(text, 'base64');
    if (bytes.length !== HLL_REGISTERS) throw new RangeError(`A HyperLogLog has ${HLL_REGISTERS} registers; got ${bytes.length}.`);
    return new HyperLogLog(new Uint8Array(bytes));
  }

  add(value: string): void {
    const h = hash32(value);
    const index = h >>> (32 - HLL_PRECISION);
    // The rank of the first 1 bit after the index bits (a sentinel bit bounds it at 32 − p + 1).
    const rank = Math.clz32((h << HLL_PRECISION) | (1 << (HLL_PRECISION - 1))) + 1;
    if (rank > this.registers[index]!) this.registers[index] = rank;
  }

  /** The union: the larger of each register. */
  merge(other: HyperLogLog): void {
    for (let i = 0; i < HLL_REGISTERS; i++) if (other.registers[i]! > this.registers[i]!) this.registers[i] = other.registers[i]!;
  }

  estimate(): number {
    let sum = 0;
    let zeros = 0;
    for (const r of this.registers) {
      sum += 2 ** -r;
      if (r === 0) zeros += 1;
    }
    const m = HLL_REGISTERS;
    const raw = ((0.7213 / (1 + 1.079 / m)) * m * m) / sum;
    // Small counts: linear counting on the empty registers (exact to within a few ids below a few thousand).
    if (raw <= 2.5 * m && zeros > 0) return Math.round(m * Math.log(m / zeros));
    if (raw > TWO_32 / 30) return Math.round(-TWO_32 * Math.log(1 - raw / TWO_32));
    return Math.round(raw);
  }

  toJSON(): string {
    return Buffer.from(this.registers).toString('base64');
  }
}

export const LINEAR_BITS = 1024;
/** Up to this many distinct values a counter keeps their hashes, and counts them exactly. */
export const EXACT_UP_TO = 32;

/** A PeopleCounter's JSON: the sorted hashes while few (exact), else the bitmap (base64). */
export type PeopleCounterJson = number[] | string;

/**
 * Who is looking at one product: exact up to 32 people (their 32-bit hashes), then a linear counter (Whang et al.
 * 1990) of 1,024 bits — 128 bytes, about 2 % standard error at 100 people. Saturated, it says at least ~7,000.
 */
export class PeopleCounter {
  private constructor(
    private hashes: Set<number> | undefined,
    private bits: Uint8Array | undefined,
  ) {}

  static from(json: PeopleCounterJson | undefined): PeopleCounter {
    if (json === undefined) return new PeopleCounter(new Set(), undefined);
    if (Array.isArray(json)) return new PeopleCounter(new Set(json), undefined);
    const bytes = new Uint8Array(Buffer.from(json, 'base64'));
    if (bytes.length !== LINEAR_BITS / 8) throw new RangeError(`A linear counter has ${LINEAR_BITS} bits; got ${bytes.length * 8}.`);
    return new PeopleCounter(undefined, bytes);
  }

  add(value: string): void {
    this.addHash(hash32(value));
  }

  merge(other: PeopleCounter): void {
    if (other.hashes) for (const h of other.hashes) this.addHash(h);
    else {
      this.toBitmap();
      for (let i = 0; i < this.bits!.length; i++) this.bits![i]! |= other.bits![i]!;
    }
  }

  estimate(): number {
    if (this.hashes) return this.hashes.size;
    let zeros = 0;
    for (const byte of this.bits!) for (let b = 0; b < 8; b++) if ((byte & (1 << b)) === 0) zeros += 1;
    return Math.round(LINEAR_BITS * Math.log(LINEAR_BITS / Math.max(zeros, 0.5)));
  }

  toJSON(): PeopleCounterJson {
    return this.hashes ? [...this.hashes].sort((a, b) => a - b) : Buffer.from(this.bits!).toString('base64');
  }

  private addHash(h: number): void {
    if (this.hashes) {
      this.hashes.add(h);
      if (this.hashes.size > EXACT_UP_TO) this.toBitmap();
      return;
    }
    const bit = h % LINEAR_BITS;
    this.bits![bit >>> 3]! |= 1 << (bit & 7);
  }

  private toBitmap(): void {
    if (!this.hashes) return;
    const hashes = this.hashes;
    this.hashes = undefined;
    this.bits = new Uint8Array(LINEAR_BITS / 8);
    for (const h of hashes) this.addHash(h);
  }
}

/** One counted key of a top-k: its count, the most that count may overstate (Space-Saving's error), its distinct visitors. */
export interface TopEntry {
  key: string;
  count: number;
  error: number;
  visitors: PeopleCounterJson;
}

/**
 * Space-Saving (Metwally et al. 2005): `capacity` counters; a new key takes the smallest counter's place and
 * count. Every key counted more than total/capacity times is kept, each count overstated by at most `error`.
 */
export class TopK {
  private readonly entries: Map<string, { count: number; error: number; visitors: PeopleCounter }>;

  constructor(
    private readonly capacity: number,
    entries: readonly TopEntry[] = [],
  ) {
    this.entries = new Map(entries.map((e) => [e.key, { count: e.count, error: e.error, visitors: PeopleCounter.from(e.visitors) }]));
  }

  add(key: string, visitor: string, weight = 1): void {
    let entry = this.entries.get(key);
    if (!entry) {
      if (this.entries.size < this.capacity) entry = { count: 0, error: 0, visitors: PeopleCounter.from(undefined) };
      else {
        let smallest: [string, { count: number }] | undefined;
        for (const e of this.entries) if (!smallest || e[1].count < smallest[1].count) smallest = e;
        this.entries.delete(smallest![0]);
        // The newcomer may have been counted before and evicted: its count is at most the evicted one's more.
        entry = { count: smallest![1].count, error: smallest![1].count, visitors: PeopleCounter.from(undefined) };
      }
      this.entries.set(key, entry);
    }
    entry.count += weight;
    entry.visitors.add(visitor);
  }

  /** Adds another summary's counts key by key (mergeable summaries: errors add up too). */
  merge(entries: readonly TopEntry[]): void {
    for (const e of entries) {
      const mine = this.entries.get(e.key);
      if (mine) {
        mine.count += e.count;
        mine.error += e.error;
        mine.visitors.merge(PeopleCounter.from(e.visitors));
      } else this.entries.set(e.key, { count: e.count, error: e.error, visitors: PeopleCounter.from(e.visitors) });
    }
  }

  /** The `limit` largest counts, largest first (ties by key, so the order is stable). */
  top(limit = this.capacity): TopEntry[] {
    return [...this.entries]
      .map(([key, e]) => ({ key, count: e.count, error: e.error, visitors: e.visitors.toJSON() }))
      .sort((a, b) => b.count - a.count || a.key.localeCompare(b.key))
      .slice(0, limit);
  }

  get(key: string): { count: number; visitors: number } | undefined {
    const e = this.entries.get(key);
    return e && { count: e.count, visitors: e.visitors.estimate() };
  }

  toJSON(): TopEntry[] {
    return this.top();
  }
}

/** The histogram's relative accuracy: a quantile it reports is within 1 % of a value it saw (DDSketch's log buckets). */
export const QUANTILE_RELATIVE_ERROR = 0.01;
const GAMMA = (1 + QUANTILE_RELATIVE_ERROR) / (1 - QUANTILE_RELATIVE_ERROR);
const LOG_GAMMA = Math.log(GAMMA);

/** Counts per log bucket (bucket i holds values in (γ^(i−1), γ^i]); values ≤ 1 in bucket 0. About 1,000 buckets span 1 ms–7 days. */
export type Histogram = Record<string, number>;

export function histogramAdd(histogram: Histogram, value: number, count = 1): void {
  const bucket = value <= 1 ? 0 : Math.ceil(Math.log(value) / LOG_GAMMA);
  histogram[bucket] = (histogram[bucket] ?? 0) + count;
}

export function histogramMerge(into: Histogram, other: Histogram): void {
  for (const [bucket, n] of Object.entries(other)) into[bucket] = (into[bucket] ?? 0) + n;
}

/** The q-quantile (0–1) as the middle of its bucket, or null for an empty histogram. */
export function histogramQuantile(histogram: Histogram, q: number): number | null {
  const buckets = Object.entries(histogram)
    .map(([b, n]) => [Number(b), n] as const)
    .sort((a, b) => a[0] - b[0]);
  const total = buckets.reduce((s, [, n]) => s + n, 0);
  if (total === 0) return null;
  const rank = q * (total - 1);
  let seen = 0;
  for (const [bucket, n] of buckets) {
    seen += n;
    if (seen > rank) return bucket === 0 ? 0 : (2 * GAMMA ** bucket) / (GAMMA + 1);
  }
  return null;
}
