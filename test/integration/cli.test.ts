import { parse } from 'csv-parse/sync';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { LakeEvent } from '#domain/events/enrich';
import { runTsx } from '../helpers/cli';
import { drain, lakeRows, outputs, pseudonymOf } from '../helpers/cloud';
import { sharedData } from '../helpers/requirements';

const root = path.resolve(__dirname, '..', '..');

const cli = (script: string, args: string[]) => runTsx(script, args);

describe('npm run import (REES46)', () => {
  it('imports every row of the real sample, and a re-import adds nothing', async () => {
    for (let round = 0; round < 2; round++) {
      const result = await cli('cli/import.ts', [
        sharedData('rees46-sample/events-2019-10-01-sample.csv'),
        '--stream',
        outputs().ClickstreamStreamName!,
        '--raw-delivery-stream',
        outputs().RawDeliveryStreamName!,
        '--json',
      ]);
      expect(result.code).toBe(0);
      expect(JSON.parse(result.stdout)).toMatchObject({ ok: true, events: 2166, sessions: 654, accepted: 2166, rejected: 0, skipped: [] });
      await drain();
    }
    // The sample's visitors (rees46-<user id>), as the lake holds them: pseudonymized.
    const of = await pseudonymOf();
    const sample = parse(readFileSync(sharedData('rees46-sample/events-2019-10-01-sample.csv'), 'utf8'), { columns: true }) as { user_id: string }[];
    const visitors = new Set(sample.map((row) => of(`rees46-${row.user_id}`)));
    const rows = (await lakeRows<LakeEvent>('raw')).filter((r) => visitors.has(r.row.anonymous_id));
    expect(rows).toHaveLength(2166);
    expect(new Set(rows.map((r) => r.row.event_id)).size).toBe(2166);
    expect(rows.filter((r) => r.row.event_type === 'purchase')).toHaveLength(26);
    expect(new Set(rows.map((r) => r.partition))).toEqual(new Set(rows.map((r) => `dt=2019-10-01/hour=${r.row.event_time.slice(11, 13)}`)));
  });

  it('refuses a file that is not a REES46 CSV, before sending anything', async () => {
    const result = await cli('cli/import.ts', [
      path.join(root, 'package.json'),
      '--stream',
      outputs().ClickstreamStreamName!,
      '--raw-delivery-stream',
      outputs().RawDeliveryStreamName!,
      '--json',
    ]);
    expect(result.code).not.toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ ok: false, message: expect.stringContaining('not a REES46 CSV') });
  });
});

describe('npm run generate', () => {
  it('posts reproducible synthetic sessions and writes their true purchase probabilities', async () => {
    const truth = path.join(os.tmpdir(), `truth-${process.pid}.jsonl`);
    const result = await cli('cli/generate.ts', ['--sessions', '60', '--seed', '7', '--api', outputs().ApiUrl, '--truth', truth, '--json']);
    expect(result.code).toBe(0);
    const summary = JSON.parse(result.stdout);
    expect(summary).toMatchObject({ ok: true, sessions: 60, rejected: 0 });
    expect(summary.accepted).toBe(summary.events);
    const lines = readFileSync(truth, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines).toHaveLength(60);
    expect(lines[0]).toEqual({ session_id: expect.any(String), purchase_probability: expect.any(Number), purchased: expect.any(Boolean) });
  });

  it('rejects an unknown flag with usage and exit code 2', async () => {
    const result = await cli('cli/generate.ts', ['--sessions', '1', '--bogus']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("Unknown option '--bogus'");
  });
});

describe('npm run train', () => {
  const target = () => ['--state-machine-arn', outputs().TrainingStateMachineArn!, '--models-table', outputs().ModelsTableName!];

  it('refuses a reversed or half range, or an unknown trainer, before starting anything', async () => {
    const reversed = await cli('cli/train.ts', [...target(), '--from', '2024-06-02', '--to', '2024-06-01', '--json']);
    expect(reversed.code).toBe(2);
    expect(JSON.parse(reversed.stdout)).toMatchObject({ ok: false, error: 'UsageError', message: expect.stringContaining('after') });
    expect((await cli('cli/train.ts', [...target(), '--from', '2024-06-01'])).stderr).toContain('Give both --from and --to');
    const trainer = await cli('cli/train.ts', [...target(), '--trainer', 'spark', '--json']);
    expect([trainer.code, JSON.parse(trainer.stdout).message]).toEqual([2, '--trainer takes auto, batch, sagemaker, got "spark".']);
  });

  it('follows a run over days without data to its recorded failure and exits 1', async () => {
    const result = await cli('cli/train.ts', [...target(), '--from', '2024-06-01', '--to', '2024-06-02', '--json']);
    expect(result.code).toBe(1);
    const summary = JSON.parse(result.stdout);
    expect(summary).toMatchObject({ ok: false, status: 'FAILED', error: 'TrainingFailed', run: { from: '2024-06-01', to: '2024-06-02' } });
    expect(summary.failure).toMatchObject({ Error: 'States.TaskFailed', Cause: expect.stringContaining('No features for 2024-06-01') });
    expect(summary.version).toBeUndefined();
  });
});
