import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { putObject } from '#adapters/s3';
import { badRow } from '#domain/events/bad-row';
import { runCuratedJob } from '../../local/glue/curated-job';
import { runFeaturesJob } from '../../local/glue/features-job';
import { readFeatureTable } from '#adapters/feature-store';
import { FEATURE_NAMES } from '#domain/features/spec';
import type { LakeEvent } from '#domain/events/enrich';
import { ShopperModel } from '#domain/traffic/shopper-model';
import { runTsx } from '../helpers/cli';
import { backfill, drain, lakeRows, outputs, postEvents } from '../helpers/cloud';
import { makeEvent } from '../helpers/events';
import { waitFor } from '../helpers/wait';

const root = path.resolve(__dirname, '..', '..');
const work = mkdtempSync(path.join(os.tmpdir(), 'replay-'));

/** `npm run replay` against the test cloud, pointed at it the way it is pointed at AWS. */
async function replay(args: string[]): Promise<{ code: number; summary: any; stderr: string }> {
  const target = [
    '--lake-bucket',
    outputs().LakeBucketName!,
    '--stream',
    outputs().ClickstreamStreamName!,
    '--raw-delivery-stream',
    outputs().RawDeliveryStreamName!,
  ];
  const run = await runTsx('cli/replay.ts', [...target, ...args, '--json']);
  return { code: run.code, summary: run.json, stderr: run.stderr };
}

const DAY = { from: '2024-09-10', to: '2024-09-11' };
const inDay = (r: { row: LakeEvent }) => r.row.event_time.startsWith(DAY.from);

describe('npm run replay', () => {
  let originals: Set<string>;

  beforeAll(async () => {
    const shoppers = new ShopperModel(910, new Date(`${DAY.from}T00:00:00Z`), 86_400_000);
    const events = Array.from({ length: 400 }, () => shoppers.session().events).flat();
    await backfill(events);
    await drain();
    originals = new Set(events.map((e) => e.event_id));
  });

  it("replays a day through the whole path: every event once more, carrying the run's replay_id, and the features do not change", async () => {
    await runCuratedJob(outputs().LakeBucketName!, DAY.from, DAY.from);
    await runFeaturesJob(outputs().LakeBucketName!, DAY.from, DAY.from);
    const before = (await readFeatureTable(outputs().LakeBucketName!, DAY.from, DAY.from)).table;

    const dry = await replay(['--from', DAY.from, '--to', DAY.to, '--dry-run']);
    expect(dry.summary).toMatchObject({ ok: true, dry_run: true, selected: originals.size, skipped_duplicates: 0 });
    expect(Object.values(dry.summary.partitions as Record<string, number>).reduce((a, b) => a + b, 0)).toBe(originals.size);

    const first = await replay(['--from', DAY.from, '--to', DAY.to]);
    expect(first.summary).toMatchObject({ ok: true, selected: originals.size, sent: originals.size, failed: 0 });
    await drain();
    const second = await replay(['--from', DAY.from, '--to', DAY.to]);
    // The lake now holds the first replay's copies too; each event is still selected (and sent) once.
    expect(second.summary).toMatchObject({ ok: true, selected: originals.size, sent: originals.size, skipped_duplicates: originals.size });
    await drain();

    const rows = (await lakeRows<LakeEvent>('raw')).filter(inDay);
    const copies = new Map<string, (string | undefined)[]>();
    for (const { row } of rows) copies.set(row.event_id, [...(copies.get(row.event_id) ?? []), row.replay_id]);
    expect(new Set(copies.keys())).toEqual(originals);
    for (const replayIds of copies.values()) expect(replayIds.sort()).toEqual([first.summary.replay_id, second.summary.replay_id, undefined].sort());

    await runCuratedJob(outputs().LakeBucketName!, DAY.from, DAY.from);
    await runFeaturesJob(outputs().LakeBucketName!, DAY.from, DAY.from);
    const after = (await readFeatureTable(outputs().LakeBucketName!, DAY.from, DAY.from)).table;
    // The same sessions with the same features (sums may differ in the last bits: DuckDB adds in parallel).
    expect(after.sessionIds).toEqual(before.sessionIds);
    expect([after.dts, after.labels]).toEqual([before.dts, before.labels]);
    for (const name of FEATURE_NAMES) {
      const [was, is] = [before.columns[name], after.columns[name]];
      is.forEach((value, i) => {
        if (Number.isNaN(was[i]!)) expect([name, value]).toEqual([name, Number.NaN]);
        else expect([name, value]).toEqual([name, expect.closeTo(was[i]!, 9)]);
      });
    }
  });

  it('runs the same replay in the replay state machine (--cloud): a Distributed Map of replay-objects workers', async () => {
    const { code, summary } = await replay(['--from', DAY.from, '--to', DAY.to, '--cloud', '--state-machine-arn', outputs().ReplayStateMachineArn!]);
    expect([code, summary]).toEqual([0, expect.objectContaining({ ok: true, status: 'SUCCEEDED', failed: 0 })]);
    // Workers dedup within their batch of objects; the stream dedups the rest per replay_id.
    expect(summary.sent).toBeGreaterThanOrEqual(originals.size);
    await drain();
    const copies = (await lakeRows<LakeEvent>('raw')).filter((r) => inDay(r) && r.row.replay_id === summary.replay_id).map((r) => r.row.event_id);
    expect(copies).toHaveLength(originals.size);
    expect(new Set(copies)).toEqual(originals);
  });

  it('keeps to --rate, measured on when each batch was sent', async () => {
    const file = path.join(work, 'rate.jsonl');
    const { summary } = await replay(['--from', DAY.from, '--to', DAY.to, '--target', `file:${file}`, '--rate', '1000', '--concurrency', '1']);
    expect(summary.sent).toBe(originals.size);
    const sends = summary.sends as [number, number][];
    const t0 = sends[0]![0];
    let before = 0;
    for (const [t, n] of sends) {
      // Token bucket: one second of burst, then 1,000 events/s (10 % and one batch of slack for timers).
      expect(before).toBeLessThanOrEqual(1000 + ((t - t0) / 1000) * 1000 * 1.1 + 500);
      before += n;
    }
    const seconds = (sends.at(-1)![0] - t0) / 1000;
    expect(seconds).toBeGreaterThanOrEqual((originals.size - 1000 - 500) / 1000 / 1.1);
  });

  it('resumes an interrupted run without sending anything twice', async () => {
    const file = path.join(work, 'resume.jsonl');
    const checkpoint = path.join(work, 'checkpoint.json');
    const args = [
      'cli/replay.ts',
      '--from',
      DAY.from,
      '--to',
      DAY.to,
      '--target',
      `file:${file}`,
      '--rate',
      '500',
      '--concurrency',
      '1',
      '--checkpoint',
      checkpoint,
      '--lake-bucket',
      outputs().LakeBucketName!,
      '--stream',
      outputs().ClickstreamStreamName!,
      '--json',
    ];
    const child = spawn(path.join(root, 'node_modules/.bin/tsx'), args, { cwd: root, env: process.env });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    // Interrupt once the first batches are out (the replay reads the lake first).
    await waitFor(`the first replayed batch in ${file}`, () => existsLines(file), 60_000, 100);
    child.kill('SIGINT');
    const code = await new Promise<number>((resolve) => child.on('exit', (c) => resolve(c ?? -1)));
    expect(code).toBe(130);
    const interrupted = JSON.parse(readFileSync(checkpoint, 'utf8'));
    expect(interrupted.acknowledged).toBeGreaterThan(0);
    expect(interrupted.acknowledged).toBeLessThan(originals.size);

    const resumed = await replay([
      '--from',
      DAY.from,
      '--to',
      DAY.to,
      '--target',
      `file:${file}`,
      '--concurrency',
      '1',
      '--checkpoint',
      checkpoint,
      '--resume',
    ]);
    expect(resumed.summary).toMatchObject({
      ok: true,
      replay_id: interrupted.replay_id,
      resumed_from: interrupted.acknowledged,
      sent: originals.size - interrupted.acknowledged,
    });
    const lines = readFileSync(file, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { replay_id: string; event: { event_id: string } });
    expect(lines).toHaveLength(originals.size);
    expect(new Set(lines.map((l) => l.event.event_id))).toEqual(originals);
    expect(new Set(lines.map((l) => l.replay_id))).toEqual(new Set([interrupted.replay_id]));
  });

  it('refuses bad options before sending anything', async () => {
    expect((await replay(['--from', DAY.to, '--to', DAY.from])).code).toBe(2);
    expect((await replay(['--from', DAY.from, '--to', DAY.to, '--bogus'])).code).toBe(2);
    const missing = await replay(['--from', DAY.from, '--to', DAY.to, '--stream', 'no-such-stream']);
    expect(missing.code).toBe(1);
    expect(missing.summary.message).toContain('no-such-stream');
  });
});

describe('npm run replay -- --source bad', () => {
  it('recovers rows an older contract rejected once the current contract accepts them, without a fix', async () => {
    // Bad rows as an older schema left them: events of a type it did not know ("search" came later), rejected then.
    const failedAt = '2024-09-13T09:30:00.000Z';
    const accepted = [
      makeEvent({ event_type: 'search', event_time: '2024-09-13T09:29:00.000Z', search: { query: 'headphones' } } as never),
      makeEvent({ event_type: 'search', event_time: '2024-09-13T09:29:30.000Z' }),
    ];
    const rows = accepted.map((event, i) =>
      badRow({
        type: 'schema_violation',
        errors: [{ path: '/event_type', message: 'must be one of page_view, product_view' }],
        payload: Buffer.from(JSON.stringify({ v: 1, received_at: failedAt, event })),
        failedAt,
        eventId: event.event_id,
        source: { stream: 's', partition_key: 'k', sequence_number: String(i), approximate_arrival: failedAt },
      }),
    );
    await putObject(
      outputs().LakeBucketName!,
      'bad/clickstream/dt=2024-09-13/hour=09/old-schema-1.gz',
      gzipSync(rows.map((r) => `${JSON.stringify(r)}\n`).join('')),
    );
    const { summary } = await replay(['--source', 'bad', '--from', '2024-09-13T09:00:00Z', '--to', '2024-09-13T10:00:00Z']);
    expect(summary).toMatchObject({ ok: true, selected: 2, sent: 2, still_invalid: 0 });
    await drain();
    const landed = (await lakeRows<LakeEvent>('raw')).filter((r) => accepted.some((e) => e.event_id === r.row.event_id));
    expect(landed.map((r) => [r.row.event_type, r.row.replay_id])).toEqual([
      ['search', summary.replay_id],
      ['search', summary.replay_id],
    ]);
  });

  it('recovers, with the example fix, the bad rows the current contract accepts and lists the ones it does not', async () => {
    const start = new Date(Date.now() - 60_000).toISOString();
    const legacy = Array.from({ length: 5 }, () => {
      const { event_time: _t, ...event } = makeEvent({ event_type: 'view' as never });
      return { ...event, timestamp: Date.parse('2024-09-12T08:00:00Z') };
    });
    const hopeless = makeEvent({ event_type: 'teleport' as never });
    expect((await postEvents([...legacy, hopeless])).body).toMatchObject({ accepted: 0 });
    await drain();
    const end = new Date(Date.now() + 3_600_000).toISOString();

    const withoutFix = await replay(['--source', 'bad', '--from', start, '--to', end, '--dry-run']);
    const ids = (rows: { event_id?: string }[]) => rows.map((r) => r.event_id);
    expect(ids(withoutFix.summary.still_invalid_rows)).toEqual(expect.arrayContaining([...legacy.map((e) => e.event_id), hopeless.event_id]));

    const { summary } = await replay(['--source', 'bad', '--from', start, '--to', end, '--fix', 'replay/fixes/legacy-view-events.ts']);
    expect(summary.ok).toBe(true);
    expect(ids(summary.still_invalid_rows)).toContain(hopeless.event_id);
    expect(ids(summary.still_invalid_rows)).not.toEqual(expect.arrayContaining([legacy[0]!.event_id]));
    await drain();
    const recovered = (await lakeRows<LakeEvent>('raw')).filter((r) => legacy.some((e) => e.event_id === r.row.event_id));
    expect(recovered.map((r) => [r.row.event_type, r.row.event_time, r.row.replay_id])).toEqual(
      legacy.map(() => ['product_view', '2024-09-12T08:00:00.000Z', summary.replay_id]),
    );
  });
});

function existsLines(file: string): boolean {
  try {
    return readFileSync(file, 'utf8').length > 0;
  } catch {
    return false;
  }
}
