import { gzipSync } from 'node:zlib';
import { FirehoseClient, PutRecordBatchCommand } from '@aws-sdk/client-firehose';
import { randomUUID } from 'node:crypto';
import { rawPartitionOf } from '#domain/lake';
import { rawRecord } from '#domain/raw-records';
import { makeEvent } from '../helpers/events';
import { drain, lakeRows, outputs, postEvents, pseudonymOf } from '../helpers/cloud';
import { listObjects, readJsonLines } from '#adapters/s3';
import type { LakeEvent } from '#domain/events/enrich';
import type { BadRow } from '#domain/events/bad-row';

/** Snowplow-style acceptance: what goes in through POST /events is exactly what the lake holds. */
describe('POST /events → Kinesis → ingest → Firehose → S3', () => {
  const run = randomUUID();
  // The four hours before this one: within the accepted window, so each event lands in its own hour.
  const thisHour = Math.floor(Date.now() / 3_600_000) * 3_600_000;
  const hours = [4, 3, 2, 1].map((k) => new Date(thisHour - k * 3_600_000).toISOString().slice(0, 13));
  const valid = Array.from({ length: 1000 }, (_, i) =>
    makeEvent({ session_id: `${run}-s${i % 97}`, event_time: `${hours[i % hours.length]}:${String(i % 60).padStart(2, '0')}:07.123Z` }),
  );
  const invalid = Array.from({ length: 100 }, (_, i) => {
    const { event_type: _type, ...event } = makeEvent({ session_id: `${run}-bad${i}` });
    return i % 2 === 0 ? event : { ...event, event_type: 'teleport' };
  });
  const duplicates = valid.slice(0, 50).map((event) => ({ ...event }));

  beforeAll(async () => {
    for (const batch of [valid.slice(0, 500), valid.slice(500), invalid, duplicates]) {
      const response = await postEvents(batch);
      expect(response.status).toBe(202);
    }
    await drain();
  });

  it('answers 202 with the invalid events listed by index and id', async () => {
    // Its own sessions, so the acceptance counts below stay exact.
    const probeInvalid = { ...makeEvent({ session_id: `${run}-probe` }), event_type: 'teleport' };
    const response = await postEvents([makeEvent({ session_id: `${run}-probe` }), probeInvalid]);
    expect(response.status).toBe(202);
    expect(response.body.accepted).toBe(1);
    expect(response.body.rejected).toEqual([
      { index: 1, event_id: probeInvalid.event_id, errors: [{ path: '/event_type', message: expect.stringContaining('must be one of') }] },
    ]);
  });

  it('lands exactly the 1,000 valid events in raw/, once each, enriched', async () => {
    const rows = (await lakeRows<LakeEvent>('raw')).filter((r) => r.row.session_id.startsWith(`${run}-s`));
    expect(rows).toHaveLength(1000);
    expect(new Set(rows.map((r) => r.row.event_id))).toEqual(new Set(valid.map((e) => e.event_id)));
    for (const { row } of rows) {
      expect(row).toMatchObject({ device_class: 'desktop', schema_version: '1-0-0' });
      expect(Date.parse(row.received_at)).toBeLessThanOrEqual(Date.parse(row.ingested_at));
    }
  });

  it('partitions raw/ by event time (dt/hour in UTC), GZIP objects', async () => {
    const rows = (await lakeRows<LakeEvent>('raw')).filter((r) => r.row.session_id.startsWith(`${run}-s`));
    for (const { key, partition, row } of rows) {
      expect(key.endsWith('.gz')).toBe(true);
      expect(partition).toBe(`dt=${row.event_time.slice(0, 10)}/hour=${row.event_time.slice(11, 13)}`);
    }
    expect(new Set(rows.map((r) => r.partition))).toEqual(new Set(hours.map((h) => `dt=${h.slice(0, 10)}/hour=${h.slice(11, 13)}`)));
  });

  it('keeps the 100 invalid events as typed bad rows with the original payload (its ids pseudonymized)', async () => {
    const of = await pseudonymOf();
    const sent = invalid.map((e) => ({ ...e, anonymous_id: of(String(e.anonymous_id)) }));
    const rows = (await lakeRows<BadRow>('bad'))
      .filter((r) => r.row.type === 'schema_violation' && !r.row.payload_truncated)
      .map((r) => ({ ...r, payload: JSON.parse(Buffer.from(r.row.payload_base64, 'base64').toString('utf8')) }))
      .filter((r) => String(r.payload.event?.session_id).startsWith(`${run}-bad`));
    expect(rows).toHaveLength(100);
    for (const { row, payload, partition } of rows) {
      expect(row).toMatchObject({ schema: 'clickstream-ml/bad-row/1-0-1', type: 'schema_violation' });
      expect(row.errors.length).toBeGreaterThan(0);
      expect(row.source.sequence_number).toMatch(/^\d+$/);
      expect(partition).toMatch(/^dt=\d{4}-\d{2}-\d{2}\/hour=\d{2}$/);
      expect(sent).toContainEqual(payload.event);
    }
  });
  it("enriches each row with the parsed user agent, the campaign and the referrer's class", async () => {
    const event = makeEvent({
      session_id: `${run}-enriched`,
      context: {
        user_agent: 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1',
      },
      page: { url: 'https://shop.example.com/?utm_source=spring&utm_medium=social&fbclid=F1', referrer: 'https://www.instagram.com/' },
    });
    expect((await postEvents([event])).status).toBe(202);
    await drain();
    const row = (await lakeRows<LakeEvent>('raw')).find((r) => r.row.event_id === event.event_id)?.row;
    expect(row).toMatchObject({
      device_class: 'mobile',
      ua: { browser: 'Mobile Safari', os: 'iOS', device_type: 'mobile', device_vendor: 'Apple', device_model: 'iPhone', bot: false },
      campaign: { source: 'spring', medium: 'social', click_id_type: 'fbclid', click_id: 'F1' },
      referrer_class: 'social',
    });
  });

  it('partitions raw records by the partition their gzip header names; a record that names none goes to errors/, whole', async () => {
    const firehose = new FirehoseClient({ endpoint: outputs().Endpoint });
    // Lake rows as ingest packs them: one gzip member per partition.
    const rows = ['2026-11-18T05:00:00.000Z', '2026-11-18T06:00:00.000Z'].map((t) => ({
      ...makeEvent({ session_id: `${run}-packed`, event_time: t }),
      partition_time: t,
    }));
    const member = (row: (typeof rows)[number]) => rawRecord(Buffer.from(`${JSON.stringify(row)}\n`), rawPartitionOf(row.partition_time));
    const unnamed = gzipSync(`${JSON.stringify(rows[0])}\n${run}`);
    const { FailedPutCount } = await firehose.send(
      new PutRecordBatchCommand({
        DeliveryStreamName: outputs().RawDeliveryStreamName,
        Records: [{ Data: member(rows[0]!) }, { Data: member(rows[1]!) }, { Data: unnamed }],
      }),
    );
    expect(FailedPutCount).toBe(0);
    await drain();
    const delivered = (await lakeRows<LakeEvent>('raw')).filter((r) => r.row.session_id === `${run}-packed`);
    expect(delivered.map((r) => [r.partition, r.row.event_id]).sort()).toEqual([
      ['dt=2026-11-18/hour=05', rows[0]!.event_id],
      ['dt=2026-11-18/hour=06', rows[1]!.event_id],
    ]);
    const bucket = outputs().LakeBucketName!;
    const failures = [];
    for (const object of await listObjects(bucket, 'errors/raw/processing-failed/'))
      failures.push(...(await readJsonLines<{ rawData: string; errorCode: string }>(bucket, object.key)));
    expect(failures.filter((f) => Buffer.from(f.rawData, 'base64').equals(unnamed))).toEqual([
      expect.objectContaining({ errorCode: 'Lambda.ProcessingFailed' }),
    ]);
  });
});
