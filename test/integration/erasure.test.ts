import { randomUUID } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import { dedupTable } from '#adapters/dedup-table';
import { getModelVersion, setAlias } from '#adapters/registry-table';
import { getObjectBytes, listObjects, putObject, readLines } from '#adapters/s3';
import { channelsPrefix, ERASED_ZONES, FEATURES_PREFIX, PREDICTIONS_PREFIX } from '#domain/lake';
import { capturedPrediction } from '#domain/monitoring/capture';
import { PRODUCTION_ALIAS } from '#domain/registry';
import { rawRecord } from '#domain/raw-records';
import { runCuratedJob } from '../../local/glue/curated-job';
import { runFeaturesJob } from '../../local/glue/features-job';
import { runTsx } from '../helpers/cli';
import { api, drain, itLocal, outputs, postEvents, pseudonymOf } from '../helpers/cloud';
import { makeEvent } from '../helpers/events';
import { trainedModel } from '../helpers/models';
import { registerVersion } from '../helpers/registry';
import { waitFor } from '../helpers/wait';

const text = (bytes: Buffer) => (bytes[0] === 0x1f && bytes[1] === 0x8b ? gunzipSync(bytes) : bytes).toString('utf8');

/** Every object of the zones that hold events, as lines of text (gunzipped; Firehose error lines' rawData too). */
async function zoneLines(): Promise<Map<string, string[]>> {
  const bucket = outputs().LakeBucketName!;
  const objects = new Map<string, string[]>();
  for (const prefix of ERASED_ZONES)
    for (const { key } of await listObjects(bucket, prefix)) objects.set(key, text(await getObjectBytes(bucket, key)).split('\n'));
  return objects;
}

const erase = (args: string[]) =>
  runTsx('cli/erase.ts', [...args, '--state-machine-arn', outputs().ErasureStateMachineArn!, '--secret-id', outputs().PseudonymizationSecretName!, '--json']);

// s3rver keeps no object versions: locally "no version holds them" is that no current object does (the bucket
// says versioning was never enabled, and the receipt says so).
describe('erasure (npm run erase → the erasure state machine)', () => {
  const target = `erase-me-${randomUUID()}@example.com`;
  const today = new Date().toISOString().slice(0, 10);

  itLocal('erases one user among thousands: no object holds them after, every other row is byte-identical, models trained on them are flagged', async () => {
    const of = await pseudonymOf();
    const now = Date.now();
    const at = (i: number) => new Date(now - (i % 600) * 1000).toISOString();
    // 3,000 events of 60 users (5 sessions of 10 events each), the target among them; one invalid event of theirs (a bad row).
    const events = Array.from({ length: 60 }, (_, u) => (u === 17 ? target : `user-${u}-${randomUUID()}`)).flatMap((user, u) =>
      Array.from({ length: 50 }, (_, i) =>
        makeEvent({ user_id: user, anonymous_id: `visitor-${u}`, session_id: `erasure-${u}-${Math.floor(i / 10)}-${now}`, event_time: at(u * 50 + i) }),
      ),
    );
    const invalid = { ...makeEvent({ user_id: target, anonymous_id: 'visitor-17' }), event_type: 'teleport' };
    for (let i = 0; i < events.length; i += 500) expect((await postEvents(events.slice(i, i + 500))).status).toBe(202);
    expect((await postEvents([invalid])).body).toMatchObject({ accepted: 0 });
    await drain();
    const [stored, other] = [of(target), of(events[0]!.user_id!)];
    // What Firehose writes when it cannot deliver a record: the record, whose gzip member holds the target's rows and another user's.
    const bucket = outputs().LakeBucketName!;
    const member = rawRecord(Buffer.from(`${JSON.stringify({ user_id: stored, event_id: 'e1' })}\n${JSON.stringify({ user_id: other, event_id: 'e2' })}\n`), {
      dt: today,
      hour: '00',
    });
    await putObject(
      bucket,
      `errors/raw/processing-failed/dt=${today}/erasure-${now}`,
      `${JSON.stringify({ rawData: member.toString('base64'), errorCode: 'Lambda.FunctionError' })}\n`,
    );
    await runCuratedJob(bucket, today, today);
    // A training run over the day: its channels hold the person's sessions' features.
    await runFeaturesJob(bucket, today, today, undefined, `erasure-run-${now}`);
    const trained = await registerVersion({
      model: `erasure-${now}`,
      version: 'v1',
      artifact: {},
      data: { from: today, to: today, partitions: [`dt=${today}`] },
    });
    await registerVersion({
      model: `erasure-${now}`,
      version: 'v2',
      artifact: {},
      data: { from: '2025-01-01', to: '2025-01-02', partitions: ['dt=2025-01-01'] },
    });
    // Predictions served for two of their sessions and one of someone else's, captured to predictions/.
    const served = `erasure-serve-${now}`;
    const model = trainedModel('logistic_regression', 600);
    await registerVersion({ model: served, version: 'v1', kind: model.kind, artifact: { model } });
    await setAlias(outputs().ModelsTableName!, served, PRODUCTION_ALIAS, { to: 'v1', expected: null, by: 'test', reason: 'test' });
    const scored = [`erasure-17-0-${now}`, `erasure-17-1-${now}`, `erasure-3-0-${now}`];
    const answer = await api('POST', '/predict', {
      body: { model: served, sessions: scored.map((session_id) => ({ session_id, features: { n_events: 10 } })) },
    });
    expect(answer.status).toBe(200);
    // Read as the monitor reads them: other test files may put lines there that are no prediction.
    const capturedSessions = async () => {
      const sessions: (string | null)[] = [];
      for (const { key } of await listObjects(bucket, PREDICTIONS_PREFIX))
        for (const line of await readLines(bucket, key)) {
          const prediction = capturedPrediction(line);
          if (prediction?.model === served) sessions.push(prediction.session_id);
        }
      return sessions;
    };
    await waitFor('the predictions captured', async () => (await drain(), (await capturedSessions()).length === 3), 30_000);
    const targetIds = events.filter((e) => e.user_id === target).map((e) => e.event_id);
    const dedup = dedupTable(outputs().DedupTableName!, 24);
    expect((await dedup.findSeen(targetIds)).size).toBe(50);

    const before = await zoneLines();
    const holds = (line: string) => line.includes(stored) || line.includes(target);
    const withTarget = [...before].filter(([, lines]) => lines.some(holds)).map(([key]) => key);
    // Bad rows' payloads and error records' data are base64: they are found by decoding, not in the text.
    expect(withTarget.length).toBeGreaterThanOrEqual(1);

    const dry = await erase(['--user-id', target, '--dry-run']);
    expect([dry.code, dry.json?.message]).toEqual([0, undefined]);
    expect(dry.json).toMatchObject({ ok: true, dry_run: true, rows_removed: 52, models_flagged: [{ model_name: `erasure-${now}`, version: 'v1' }] });
    const afterDryRun = await zoneLines();
    for (const [key, lines] of before) expect([key, afterDryRun.get(key)]).toEqual([key, lines]);
    expect((await dedup.findSeen(targetIds)).size).toBe(50);

    const run = await erase(['--user-id', target]);
    expect([run.code, run.json?.message]).toEqual([0, undefined]);
    const receipt = run.json;
    expect(receipt).toMatchObject({ ok: true, dry_run: false, field: 'user_id', rows_removed: 52, versioning: 'never enabled', versions_deleted: 0 });
    // The event ids of their raw rows, their bad row and their error record.
    expect(receipt.dedup_event_ids).toBe(52);
    expect(receipt.objects_rewritten).toBe(receipt.rewritten.length);
    expect(receipt.rewritten).toEqual(expect.arrayContaining(withTarget));
    expect(receipt.models_flagged).toEqual([{ model_name: `erasure-${now}`, version: 'v1' }]);
    expect(receipt.derived_objects_deleted).toEqual(
      expect.arrayContaining([expect.stringMatching(new RegExp(`^${FEATURES_PREFIX}dt=${today}/`)), `${channelsPrefix(`erasure-run-${now}`)}manifest.json`]),
    );
    expect(await listObjects(outputs().LakeBucketName!, channelsPrefix(`erasure-run-${now}`))).toEqual([]);
    // Their sessions' predictions are gone; the other session's is kept.
    expect(receipt.prediction_rows_removed).toBe(2);
    expect(await capturedSessions()).toEqual([`erasure-3-0-${now}`]);

    // No object of the lake holds them — in any form, decoded — and every other row of every object is as it was.
    const after = await zoneLines();
    for (const [key, lines] of after) {
      const decoded = lines.map((line) => line.replace(/"(payload_base64|rawData)":"([^"]+)"/g, (_, _f, b64: string) => text(Buffer.from(b64, 'base64'))));
      expect([key, decoded.some(holds)]).toEqual([key, false]);
      const was = before.get(key);
      if (was && !receipt.rewritten.includes(key)) expect(lines).toEqual(was);
    }
    for (const key of receipt.rewritten.filter((k: string) => !k.startsWith('errors/') && !k.startsWith(PREDICTIONS_PREFIX))) {
      const removed = before.get(key)!.filter((line) => !after.get(key)!.includes(line));
      expect(after.get(key)).toEqual(before.get(key)!.filter((line) => !removed.includes(line)));
      for (const line of removed) expect(holds(line) || line.includes('payload_base64')).toBe(true);
    }
    // The error record keeps the other user's row, in a gzip member that still names its partition.
    const errorLine = JSON.parse(after.get(`errors/raw/processing-failed/dt=${today}/erasure-${now}`)![0]!) as { rawData: string };
    expect(text(Buffer.from(errorLine.rawData, 'base64'))).toBe(`${JSON.stringify({ user_id: other, event_id: 'e2' })}\n`);

    expect((await dedup.findSeen(targetIds)).size).toBe(0);
    expect((await getModelVersion(outputs().ModelsTableName!, trained.model_name, 'v1'))?.erasures).toEqual([
      { erasure_id: receipt.erasure_id, at: expect.any(String), partitions: [`dt=${today}`] },
    ]);
    expect((await getModelVersion(outputs().ModelsTableName!, trained.model_name, 'v2'))?.erasures).toBeUndefined();
    const listed = await runTsx('cli/models.ts', ['show', trained.model_name, '--models-table', outputs().ModelsTableName!, '--json']);
    expect(listed.json.versions.find((v: { version: string }) => v.version === 'v1')).toMatchObject({ flagged_by_erasures: [receipt.erasure_id] });
    // The audit log keeps the receipt, which holds no id in any form.
    const audit = text(await getObjectBytes(bucket, receipt.receipt_key));
    expect(JSON.parse(audit)).toMatchObject({ erasure_id: receipt.erasure_id, rows_removed: 52 });
    for (const form of [target, stored, stored.slice(3)]) expect(audit.includes(form)).toBe(false);

    // A second run finds nothing left.
    // (The whole answer on failure: its message names the state that failed.)
    expect((await erase(['--user-id', target])).json).toEqual(expect.objectContaining({ ok: true, rows_removed: 0, objects_rewritten: 0 }));
  });

  it('refuses a request without exactly one id, saying what to give', async () => {
    const run = await erase([]);
    expect(run.code).toBe(2);
    expect(run.json).toMatchObject({ ok: false, message: expect.stringContaining('exactly one of --user-id and --anonymous-id') });
  });
});
