import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { windowItemsSince } from '#adapters/realtime-table';
import { getRunRecord, setAlias } from '#adapters/registry-table';
import type { BadRow } from '#domain/events/bad-row';
import type { LakeEvent } from '#domain/events/enrich';
import { DEFAULT_MODEL } from '#domain/serving';
import { PRODUCTION_ALIAS } from '#domain/registry';
import { drain, lakeRows, outputs } from '../helpers/cloud';
import { trainedModel } from '../helpers/models';
import { registerVersion, registryTable } from '../helpers/registry';

const root = path.resolve(__dirname, '..', '..');
const sls = path.join(root, 'node_modules', '.bin', 'sls');
const workDir = mkdtempSync(path.join(os.tmpdir(), 'invoke-local-'));

/** `sls invoke local` with a fixture; `env` overrides the function's environment as a user would (`-e NAME=value`). */
async function invokeLocal(fn: string, fixture: string, endpoint: string, env: Record<string, string> = {}): Promise<string> {
  const overrides = Object.entries(env).flatMap(([name, value]) => ['-e', `${name}=${value}`]);
  const { stdout, stderr } = await promisify(execFile)(sls, ['invoke', 'local', '-f', fn, '-p', fixture, '--stage', 'local', ...overrides], {
    cwd: root,
    env: { ...process.env, AWS_ENDPOINT_URL: endpoint, SLS_ESBUILD_WORK_FOLDER: path.relative(root, path.join(workDir, fn)) },
  }).catch((error: { stdout: string; stderr: string }) => error);
  return `${stdout}${stderr}`;
}

/** The handler's result: `sls invoke local` prints it as an indented JSON object; log lines (stdout or stderr) surround it. */
function result(out: string): any {
  const start = out.lastIndexOf('\n{\n') + 1;
  return JSON.parse(out.slice(start, out.indexOf('\n}', start) + 2));
}

/** The fixtures in events/ work with `sls invoke local --stage local` against the local cloud. */
describe('sls invoke local', () => {
  it('collect: a fixture batch is accepted, the invalid event listed', async () => {
    const out = await invokeLocal('collect', 'events/http/collect-batch.json', outputs().Endpoint);
    const response = result(out);
    expect(response.statusCode).toBe(202);
    expect(JSON.parse(response.body)).toMatchObject({ accepted: 3, rejected: [{ index: 3 }] });
  });

  it("collect: a beacon (text/plain) is accepted, and its lake row holds the request's source IP (anonymized) and user agent", async () => {
    const response = result(await invokeLocal('collect', 'events/http/collect-beacon.json', outputs().Endpoint));
    expect([response.statusCode, JSON.parse(response.body)]).toEqual([202, { accepted: 1, rejected: [], without_consent: 0 }]);
    await drain();
    const row = (await lakeRows<LakeEvent>('raw')).find((r) => r.row.event_id === '6f7b1e9c-2d3a-4b5c-8d9e-0a1b2c3d4e5f')?.row;
    expect(row).toMatchObject({ observed_ip: '203.0.113.0', observed_user_agent: expect.stringContaining('Chrome/150'), context: { locale: 'en-GB' } });
  });

  it("partitionRaw: hands Firehose the partition a raw record's gzip header names; a record that names none fails alone", async () => {
    const fixture = JSON.parse(readFileSync(path.join(root, 'events/firehose/raw-records.json'), 'utf8')) as { records: { recordId: string; data: string }[] };
    const { records } = result(await invokeLocal('partitionRaw', 'events/firehose/raw-records.json', outputs().Endpoint));
    expect(records).toEqual([
      { recordId: 'named', result: 'Ok', data: fixture.records[0]!.data, metadata: { partitionKeys: { dt: '2026-11-20', hour: '09' } } },
      { recordId: 'unnamed', result: 'ProcessingFailed', data: fixture.records[1]!.data },
    ]);
  });

  it('realtime: a tumbling-window batch comes back as the window state; the final invocation stores the window and hands back an empty state', async () => {
    const window = result(await invokeLocal('realtime', 'events/kinesis/realtime-window.json', outputs().Endpoint));
    expect(window).toMatchObject({ state: { v: 1, records: 3, events: { page_view: 1, product_view: 1, add_to_cart: 1 }, bad: 0 }, batchItemFailures: [] });
    expect(result(await invokeLocal('realtime', 'events/kinesis/realtime-final.json', outputs().Endpoint))).toEqual({ state: {}, batchItemFailures: [] });
    const items = await windowItemsSince(outputs().RealtimeTableName!, 'traffic', '2026-11-20T09:16:00Z');
    expect(items.find((i) => i.shard === 'invoke-local-fixture/shardId-000000000000')).toMatchObject({
      window_start: '2026-11-20T09:16:00Z',
      data: { records: 2, orders: 1, revenue_cents: { USD: 4999 } },
    });
  });

  it('ingest: a batch with bad and duplicate records reports no failures, and the lake holds each record once', async () => {
    const fixture = 'events/kinesis/invalid-and-duplicates.json';
    const out = await invokeLocal('ingest', fixture, outputs().Endpoint);
    expect(result(out)).toEqual({ batchItemFailures: [] });
    await drain();
    const records = (JSON.parse(readFileSync(path.join(root, fixture), 'utf8')) as { Records: { eventID: string; kinesis: { data: string } }[] }).Records;
    const validIds = [
      ...new Set(
        records.flatMap(
          (r) =>
            /"event_id":"([0-9a-f-]{36})","event_type":"(page_view|product_view|add_to_cart|purchase)"/.exec(
              Buffer.from(r.kinesis.data, 'base64').toString(),
            )?.[1] ?? [],
        ),
      ),
    ];
    const raw = (await lakeRows<LakeEvent>('raw')).filter((r) => validIds.includes(r.row.event_id));
    expect(raw.map((r) => r.row.event_id).sort()).toEqual(validIds.sort());
    // The three records that are no event (a broken event, not JSON, not an event object) are bad rows, each once.
    const sequences = new Set(records.map((r) => r.eventID.split(':')[1]));
    const bad = (await lakeRows<BadRow>('bad')).filter((r) => sequences.has(r.row.source.sequence_number));
    expect(bad.map((r) => r.row.type).sort()).toEqual(['decode_error', 'schema_violation', 'schema_violation']);
  });

  it("planTraining: a manual range, the schedule's default range, and a reversed range refused by name", async () => {
    expect(result(await invokeLocal('planTraining', 'events/stepfunctions/plan-training.json', outputs().Endpoint))).toEqual({
      run_id: 'manual-run-1',
      model_name: 'purchase-propensity',
      version: '20261115T030000Z-alrun1',
      from: '2026-11-01',
      to: '2026-11-14',
      trainer: 'auto',
      sagemaker: { min_rows: 2_000_000, instance_type: 'ml.m5.2xlarge', instance_count: 2, volume_gb: 30, max_runtime_seconds: 7200 },
    });
    expect(result(await invokeLocal('planTraining', 'events/stepfunctions/plan-training-scheduled.json', outputs().Endpoint))).toMatchObject({
      from: '2026-11-01',
      to: '2026-11-14',
    });
    expect(await invokeLocal('planTraining', 'events/stepfunctions/plan-training-bad-range.json', outputs().Endpoint)).toContain('InvalidTrainingRequestError');
  });

  it('recordTrainingRun: a failed run lands in the models table', async () => {
    const out = await invokeLocal('recordTrainingRun', 'events/stepfunctions/record-training-run-failed.json', outputs().Endpoint);
    expect(out).toContain('"outcome": "failed"');
    expect(await getRunRecord(outputs().ModelsTableName!, 'purchase-propensity', 'manual-run-3')).toEqual(
      expect.objectContaining({ outcome: 'failed', error: expect.objectContaining({ Error: 'States.TaskFailed' }) }),
    );
  });

  it('predict, models and admin: every fixture answers as its name says', async () => {
    // The predict fixtures ask for the default model; each registry here is this test's own table, so what other
    // test files promote (in any order) cannot change the answer.
    const withProduction = await registryTable('with-production');
    const trained = trainedModel('logistic_regression', 600);
    await registerVersion(
      { model: DEFAULT_MODEL, version: 'v1', kind: trained.kind, artifact: { model: trained } },
      { table: withProduction, bucket: outputs().LakeBucketName! },
    );
    await setAlias(withProduction, DEFAULT_MODEL, PRODUCTION_ALIAS, { to: 'v1', expected: null, by: 'test', reason: 'fixture' });
    const empty = await registryTable('empty');
    const response = async (fixture: string, fn = 'predict', table = withProduction) => {
      const answer = result(await invokeLocal(fn, `events/http/${fixture}.json`, outputs().Endpoint, { MODELS_TABLE_NAME: table }));
      return { status: answer.statusCode as number, body: JSON.parse(answer.body) };
    };
    for (const fixture of ['predict-features', 'predict-events']) {
      const { status, body } = await response(fixture);
      expect([fixture, status, body.predictions?.[0]?.probability, body.version]).toEqual([fixture, 200, expect.any(Number), 'v1']);
      expect([fixture, (await response(fixture, 'predict', empty)).status]).toEqual([fixture, 404]);
    }
    expect((await response('models-list', 'models')).body.models).toEqual([expect.objectContaining({ name: DEFAULT_MODEL, aliases: { production: 'v1' } })]);
    expect(await response('predict-unknown-feature')).toMatchObject({ status: 400, body: { message: expect.stringContaining('clicks') } });
    expect(await response('predict-no-alias')).toMatchObject({ status: 404, body: { message: expect.stringContaining('no "shadow" alias') } });
    expect(await response('models-show-unknown', 'models')).toMatchObject({ status: 404 });
    expect(await response('models-version-unknown', 'models')).toMatchObject({ status: 404 });
    expect(await response('admin-promote-unknown-version', 'admin')).toMatchObject({
      status: 404,
      body: { message: expect.stringContaining('no version 19700101T000000Z') },
    });
    expect(await response('admin-rollback-unknown-model', 'admin')).toMatchObject({
      status: 409,
      body: { message: expect.stringContaining('no earlier version') },
    });
  });

  it('the other training steps (a SageMaker job that left no model), the authorizers and the replay worker: every fixture answers as its name says', async () => {
    const endpoint = outputs().Endpoint;
    expect(await invokeLocal('evaluateCandidate', 'events/stepfunctions/evaluate-candidate-unregistered.json', endpoint)).toContain('VersionNotFoundError');
    expect(await invokeLocal('promoteCandidate', 'events/stepfunctions/promote-candidate-unregistered.json', endpoint)).toContain('VersionNotFoundError');
    expect(await invokeLocal('registerXgboost', 'events/stepfunctions/register-xgboost-missing-model.json', endpoint)).toContain('XgboostModelError');
    expect(result(await invokeLocal('authorizeAdmin', 'events/authorizer/admin-local-key.json', endpoint))).toEqual({
      isAuthorized: true,
      context: { api_key: '4ab7b7cd' },
    });
    expect(result(await invokeLocal('authorizeAdmin', 'events/authorizer/admin-wrong-key.json', endpoint))).toEqual({ isAuthorized: false });
    // The read authorizer takes the read keys and the admin keys (two SSM parameters).
    expect(result(await invokeLocal('authorizeRead', 'events/authorizer/read-local-key.json', endpoint))).toEqual({
      isAuthorized: true,
      context: { api_key: 'c4b84eb7' },
    });
    expect(result(await invokeLocal('authorizeRead', 'events/authorizer/read-admin-key.json', endpoint))).toEqual({
      isAuthorized: true,
      context: { api_key: '4ab7b7cd' },
    });
    expect(result(await invokeLocal('replayObjects', 'events/stepfunctions/replay-objects-empty-batch.json', endpoint))).toEqual({
      objects: 0,
      read: 0,
      selected: 0,
      skipped_duplicates: 0,
      sent: 0,
      failed: 0,
    });
  });

  it('the monitoring and canary steps: a window of no predictions, a window that is not one, a canary that is not the alias’s', async () => {
    const endpoint = outputs().Endpoint;
    expect(result(await invokeLocal('monitorModels', 'events/stepfunctions/monitor-models-one-model.json', endpoint))).toMatchObject({
      window: { from: '2026-11-28T12:00:00.000Z', to: '2026-11-29T12:00:00.000Z' },
      reports: [{ model: 'purchase-propensity', groups: [] }],
      alerts: [],
    });
    expect(await invokeLocal('monitorModels', 'events/stepfunctions/monitor-models-bad-window.json', endpoint)).toContain('MonitorRequestError');
    expect(await invokeLocal('analyzeCanary', 'events/stepfunctions/analyze-canary-changed.json', endpoint)).toContain('CanaryChangedError');
    expect(await invokeLocal('concludeCanary', 'events/stepfunctions/conclude-canary-rollback-unknown.json', endpoint)).toContain('AliasConflictError');
  });

  it('the erasure steps: a plan, an empty batch and a dry-run finish answer as their names say; an id instead of its digest is refused', async () => {
    const endpoint = outputs().Endpoint;
    expect(result(await invokeLocal('planErasure', 'events/stepfunctions/plan-erasure-dry-run.json', endpoint))).toMatchObject({
      erasure_id: expect.stringMatching(/^er-/),
      manifest_key: expect.stringMatching(/^erasure\/manifests\/er-.*\.json$/),
      objects: expect.any(Number),
      versioned: false,
      versioning: 'never enabled',
    });
    expect(await invokeLocal('planErasure', 'events/stepfunctions/plan-erasure-raw-id.json', endpoint)).toContain('ErasureRequestError');
    expect(result(await invokeLocal('eraseObjects', 'events/stepfunctions/erase-objects-empty-batch.json', endpoint))).toEqual({
      objects: 0,
      rows: 0,
      removed: 0,
      rewritten: [],
      versions_deleted: 0,
      dedup_event_ids: 0,
      dates: [],
      session_digests: [],
    });
    const receipt = result(await invokeLocal('finishErasure', 'events/stepfunctions/finish-erasure-dry-run.json', endpoint));
    expect(receipt).toMatchObject({
      erasure_id: 'er-20261129T120000Z-fixture0',
      dry_run: true,
      rows_removed: 0,
      models_flagged: [],
      derived_objects_deleted: [],
      prediction_rows_removed: 0,
    });
    expect(receipt.receipt_key).toBeUndefined();
  });

  it('without a local cloud, says how to start it', async () => {
    const out = await invokeLocal('collect', 'events/http/collect-single.json', 'http://127.0.0.1:9');
    expect(out).toContain('npm run local');
  });
});
