import { readFileSync } from 'node:fs';
import path from 'node:path';
import {
  compare,
  monthlyBill,
  realtimeCost,
  SECONDS_PER_MONTH,
  theirTotals,
  trainingRunCost,
  type MeasuredUsage,
  type Prices,
  type StackConfig,
} from '../../../cost/model';

const root = path.resolve(__dirname, '..', '..', '..');
const read = <T>(file: string): T => JSON.parse(readFileSync(path.join(root, file), 'utf8')) as T;

const usage: MeasuredUsage = {
  measured_at: '2026-11-29T00:00:00.000Z',
  commit: 'fixture',
  run: { events: 1000, requests: 100, events_per_request: 10, event_bytes: 500, note: 'fixture' },
  per_event: {
    kinesis_records: 0.2,
    kinesis_bytes: 600,
    kinesis_kb_units: 0.8,
    kinesis_payload_units: 0.2,
    firehose_bytes: 800,
    firehose_billed_bytes: 1024,
    firehose_delivered_bytes: 800,
    s3_stored_bytes: 100,
    dynamodb_read_units: 0.5,
    dynamodb_write_units: 1,
    ingest_billed_ms: 0.1,
  },
  per_request: { collect_billed_ms: 20 },
  predict_billed_ms: 5,
  partition_billed_ms_per_mb: 10,
};
const price = (usd: number, tiers?: [number | null, number][]) => ({ usd, per: 'unit', source: 'https://example.com', ...(tiers ? { tiers } : {}) });
const prices: Prices = {
  region: 'test',
  checked: '2026-11-29',
  prices: Object.fromEntries(
    Object.keys(read<Prices>('cost/prices.us-east-1.json').prices).map((name) => [
      name,
      name === 'httpApiRequests'
        ? price(1, [
            [1e6, 1],
            [null, 0.5],
          ])
        : price(1),
    ]),
  ),
};
const config: StackConfig = {
  collector: 'http-api',
  kinesis: { mode: 'on-demand' },
  dedup: true,
  collectMemoryMb: 1024,
  ingestMemoryMb: 1024,
  partitionMemoryMb: 1024,
  ingestBatchSize: 500,
  ingestBatchWindowSeconds: 5,
  rawBufferIntervalSeconds: 300,
  rawBufferSizeMb: 64,
  platformLogs: false,
  accessLogs: false,
};
const item = (bill: ReturnType<typeof monthlyBill>, service: string, what: string) => bill.lines.find((l) => l.service === service && l.item.startsWith(what));

describe('npm run cost: the model', () => {
  it('multiplies usage per event and request by the month, at each price (tiers included)', () => {
    const bill = monthlyBill(usage, prices, { rps: 1, eventsPerRequest: 10, config });
    const requests = SECONDS_PER_MONTH;
    expect(bill.requests).toBe(requests);
    expect(bill.events).toBe(10 * requests);
    // 2,592,000 requests: the first million at $1 per million, the rest at $0.5.
    expect(item(bill, 'API Gateway HTTP API', 'POST /events')!.usd).toBeCloseTo(1 + 1.592 * 0.5, 9);
    expect(item(bill, 'Lambda (collect)', 'duration')).toMatchObject({ quantity: requests * 0.02 * 1 });
    expect(item(bill, 'DynamoDB (dedup table)', 'write request units')!.usd).toBeCloseTo((10 * requests) / 1e6, 9);
    // 4 on-demand shards each invoked every 5 s window: 10 events/s never fills a batch of 500.
    expect(item(bill, 'Lambda (ingest)', 'requests')!.quantity).toBeCloseTo((4 / 5) * SECONDS_PER_MONTH, 6);
    expect(bill.total).toBeCloseTo(
      bill.lines.reduce((s, l) => s + l.usd, 0),
      9,
    );
  });

  it('scales what is priced by the byte with the event size, and leaves out what the options turn off', () => {
    const small = monthlyBill(usage, prices, { rps: 1, eventsPerRequest: 10, config });
    const large = monthlyBill(usage, prices, { rps: 1, eventsPerRequest: 10, eventBytes: 1000, config });
    expect(item(large, 'Firehose', 'ingestion')!.quantity).toBeCloseTo(2 * item(small, 'Firehose', 'ingestion')!.quantity, 9);
    expect(item(large, 'Lambda (collect)', 'requests')!.quantity).toBe(item(small, 'Lambda (collect)', 'requests')!.quantity);
    // Kinesis: 1 KB units grow with the bytes, but never fall below one a record (0.2 records per event).
    expect(item(large, 'Kinesis (on-demand)', 'data in')!.quantity).toBeCloseTo(2 * item(small, 'Kinesis (on-demand)', 'data in')!.quantity, 9);
    const tiny = monthlyBill(usage, prices, { rps: 1, eventsPerRequest: 10, eventBytes: 50, config });
    expect(item(tiny, 'Kinesis (on-demand)', 'data in')!.quantity).toBeCloseTo((10 * SECONDS_PER_MONTH * 0.2 * 1024) / 1024 ** 3, 9);
    const lean = monthlyBill(usage, prices, {
      rps: 1,
      eventsPerRequest: 10,
      config: { ...config, collector: 'function-url', dedup: false, kinesis: { mode: 'provisioned', shards: 2 } },
    });
    expect(lean.lines.map((l) => l.service)).not.toEqual(expect.arrayContaining(['API Gateway HTTP API', 'DynamoDB (dedup table)', 'Kinesis (on-demand)']));
    expect(item(lean, 'Kinesis (provisioned)', 'shard-hours')!.quantity).toBe(2 * 720);
  });

  it("compares with Clickstream Analytics on AWS's published totals and the issue's targets", () => {
    const theirs = read<Parameters<typeof theirTotals>[0]>('cost/clickstream-analytics-on-aws.json');
    expect([10, 100, 1000].map((rps) => theirTotals(theirs, rps))).toEqual([
      { cheapest: 72, streamHourly: 138.3 },
      { cheapest: 254.8, streamHourly: 454.8 },
      { cheapest: 1608.8, streamHourly: 1788.8 },
    ]);
    expect(compare(theirs, 10, 36)).toMatchObject({ ratio: 0.5, target: 0.5, met: true });
    expect(compare(theirs, 100, 300)).toMatchObject({ target: 1, met: false });
  });

  it('bills the real-time consumer: a batch a second per busy shard, a final invocation and its writes per window and shard, and its second read of an on-demand stream', () => {
    const realtime = { window_seconds: 60, windows: 10, billed_ms_per_event: 0.5, billed_ms_per_final: 20, write_units_per_window: 8 };
    const scenario = { eventsPerSecond: 100, shards: 4, windowSeconds: 60, memoryMb: 1024, kinesis: 'on-demand' as const };
    const bill = realtimeCost({ ...usage, realtime }, prices, scenario);
    const windows = 4 * (SECONDS_PER_MONTH / 60);
    const byItem = Object.fromEntries(bill.lines.map((l) => [`${l.service} — ${l.item.split(' (')[0]}`, l.quantity]));
    expect(byItem).toEqual({
      'Lambda (realtime) — requests': 4 * SECONDS_PER_MONTH + windows,
      'Lambda (realtime) — duration at 1024 MB': (100 * SECONDS_PER_MONTH * 0.5 + windows * 20) / 1000,
      'DynamoDB (real-time table) — write request units': windows * 8,
      'Kinesis (on-demand) — data out to the real-time consumer': (100 * SECONDS_PER_MONTH * 0.8 * 1024) / 1024 ** 3,
    });
    // A provisioned stream's consumers share its shards' reads: no line for them.
    expect(realtimeCost({ ...usage, realtime }, prices, { ...scenario, kinesis: 'provisioned' }).lines.map((l) => l.service)).not.toContain(
      'Kinesis (on-demand)',
    );
    expect(() => realtimeCost(usage, prices, scenario)).toThrow(/--measure/);
  });

  it('bills a training run’s trainer: Fargate for the TypeScript trainer, instance-time for SageMaker’s XGBoost', () => {
    const run = { crawlerMinutes: 2, crawlerDpus: 2, glueWorkers: 2, glueMinutes: 5, fargateVcpus: 2, fargateGb: 4, fargateMinutes: 10, stateTransitions: 40 };
    const batch = trainingRunCost(prices, run);
    const sagemaker = trainingRunCost(prices, { ...run, sagemaker: { instances: 2, billedMinutes: 6 } });
    expect(batch.lines.filter((l) => l.service !== 'Glue' && l.service !== 'Step Functions').map((l) => l.service)).toEqual([
      'Batch (Fargate)',
      'Batch (Fargate)',
    ]);
    const job = sagemaker.lines.find((l) => l.service === 'SageMaker')!;
    expect(job.quantity).toBeCloseTo(0.2, 10);
    expect(job.usd).toBeCloseTo(0.2 * prices.prices.sagemakerTrainingMlM52xlargeHour!.usd, 10);
    expect(sagemaker.lines.map((l) => l.service)).not.toContain('Batch (Fargate)');
  });

  it('gives every price a value, a unit, an https source and a date', () => {
    const file = read<Prices & { prices: Record<string, { usd: number; per: string; source: string }> }>('cost/prices.us-east-1.json');
    expect(file.checked).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    for (const [name, p] of Object.entries(file.prices)) {
      expect([name, typeof p.usd, p.usd > 0, p.per.length > 0]).toEqual([name, 'number', true, true]);
      expect(p.source).toMatch(/^https:\/\/aws\.amazon\.com\//);
    }
    const theirs = read<{ source: string; checked: string }>('cost/clickstream-analytics-on-aws.json');
    expect(theirs.source).toMatch(/^https:\/\/docs\.aws\.amazon\.com\//);
    expect(theirs.checked).toMatch(/^\d{4}-\d{2}-\d{2}$/);
  });
});
