import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { runCuratedJob } from '../../local/glue/curated-job';
import { runFeaturesJob } from '../../local/glue/features-job';
import { gzipSync } from 'node:zlib';
import { downloadObject, getObjectBytes, putObject } from '#adapters/s3';
import type { LakeEvent } from '#domain/events/lake-event';
import { enrich } from '#domain/events/enrich';
import { previousSessionCounts, sessionFeatures } from '#domain/features/session-features';
import { FEATURE_NAMES } from '#domain/features/spec';
import { ShopperModel } from '#domain/traffic/shopper-model';
import { backfill, drain, lakeRows, outputs } from '../helpers/cloud';

/** The local Glue jobs: raw lake → glue/curated.sql → curated Parquet → glue/features.sql → feature Parquet, on DuckDB. */
describe('compaction and features jobs (local Glue ETL)', () => {
  // A date range no other test writes to.
  const model = new ShopperModel(99, new Date('2025-03-01T00:00:00Z'), 2 * 86_400_000);
  const sessions = Array.from({ length: 150 }, () => model.session());

  it('compacts the raw zone to one row per event_id (the earliest copy), idempotently, then writes the features the serving code computes', async () => {
    const events = sessions.flatMap((s) => s.events);
    await backfill(events);
    await drain();
    const bucket = outputs().LakeBucketName!;
    // A copy of a delivered row, received later (a re-driven batch the dedup table did not stop): the curated zone keeps the first.
    const [original] = (await lakeRows<LakeEvent>('raw')).filter((r) => r.row.event_id === events[0]!.event_id);
    const copy = { ...original!.row, received_at: new Date(Date.parse(original!.row.received_at) + 60_000).toISOString(), replay_id: 'a-later-copy' };
    await putObject(bucket, `raw/clickstream/dt=2025-03-01/hour=00/copy-${Date.now()}.gz`, gzipSync(`${JSON.stringify(copy)}\n`));

    const curated = await runCuratedJob(bucket, '2025-03-01', '2025-03-02');
    expect(curated).toMatchObject({ from: '2025-02-28', to: '2025-03-02', inputRows: events.length + 1, events: events.length });
    const keys = curated.partitions.flatMap((p) => p.keys);
    const bytes = await Promise.all(keys.map((k) => getObjectBytes(bucket, k)));
    const again = await runCuratedJob(bucket, '2025-03-01', '2025-03-02');
    expect(again.partitions.flatMap((p) => p.keys)).toEqual(keys);
    expect(await Promise.all(keys.map((k) => getObjectBytes(bucket, k)))).toEqual(bytes);
    const curatedDir = mkdtempSync(path.join(os.tmpdir(), 'curated-it-'));
    const curatedFiles = await Promise.all(
      keys.map(async (k, i) => (await downloadObject(bucket, k, path.join(curatedDir, `${i}.parquet`)), path.join(curatedDir, `${i}.parquet`))),
    );
    const curatedDb = await (await DuckDBInstance.create(':memory:')).connect();
    const kept = (
      await curatedDb.runAndReadAll(
        `SELECT replay_id, product_price FROM read_parquet(['${curatedFiles.join("', '")}']) WHERE event_id = '${events[0]!.event_id}'`,
      )
    ).getRowObjectsJS();
    expect(kept).toEqual([{ replay_id: null, product_price: events[0]!.product?.price ?? null }]);

    const result = await runFeaturesJob(bucket, '2025-03-01', '2025-03-02');
    expect(result.sessions).toBe(150);
    expect(result.positives).toBe(sessions.filter((s) => s.truth.purchased).length);
    expect(result.partitions.map((p) => p.dt)).toEqual(['2025-03-01', '2025-03-02']);

    const dir = mkdtempSync(path.join(os.tmpdir(), 'features-it-'));
    const files = await Promise.all(
      result.partitions.map(async (p, i) => {
        const file = path.join(dir, `${i}.parquet`);
        await downloadObject(bucket, p.key, file);
        return file;
      }),
    );
    const db = await (await DuckDBInstance.create(':memory:')).connect();
    const rows = (await db.runAndReadAll(`SELECT * FROM read_parquet([${files.map((f) => `'${f}'`).join(', ')}])`)).getRowObjectsJS();
    expect(rows).toHaveLength(150);
    const bySession = new Map(rows.map((r) => [r.session_id as string, r]));
    const lakeEvents = new Map(
      sessions.map((s) => [s.truth.session_id, s.events.map((e) => enrich(e, { receivedAt: e.event_time, ingestedAt: e.event_time }))]),
    );
    const history = previousSessionCounts(lakeEvents);
    for (const s of sessions) {
      const row = bySession.get(s.truth.session_id)!;
      const expected = sessionFeatures(lakeEvents.get(s.truth.session_id)!, { previousSessions: history.get(s.truth.session_id)! });
      for (const name of FEATURE_NAMES) {
        if (expected[name] === null) expect(row[name]).toBeNull();
        else expect(row[name] as number).toBeCloseTo(expected[name]!, 9);
      }
      expect(row.label).toBe(s.truth.purchased ? 1 : 0);
    }
  });
});
