import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { runFeaturesJob } from '../../local/glue/features-job';
import { downloadObject } from '#adapters/s3';
import { enrich } from '#domain/events/enrich';
import { previousSessionCounts, sessionFeatures } from '#domain/features/session-features';
import { FEATURE_NAMES } from '#domain/features/spec';
import { ShopperModel } from '#domain/traffic/shopper-model';
import { backfill, drain, outputs } from '../helpers/cloud';

/** The local Glue job: raw lake → glue/features.sql on DuckDB → Parquet partitions in S3. */
describe('features job (local Glue ETL)', () => {
  // A date range no other test writes to.
  const model = new ShopperModel(99, new Date('2025-03-01T00:00:00Z'), 2 * 86_400_000);
  const sessions = Array.from({ length: 150 }, () => model.session());

  it('writes one Parquet partition per session start date with the features the serving code computes', async () => {
    await backfill(sessions.flatMap((s) => s.events));
    await drain();
    const bucket = outputs().LakeBucketName!;
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
