import { PredictionCapture, type CaptureOutcome } from '#adapters/prediction-capture';
import type { CapturedPrediction } from '#domain/monitoring/capture';
import { sleep } from '#shared/retry';

const row = (i: number) => ({ session_id: `s${i}` }) as CapturedPrediction;
const rows = (n: number, from = 0) => Array.from({ length: n }, (_, i) => row(from + i));
const total = (outcomes: CaptureOutcome[], key: keyof CaptureOutcome) => outcomes.reduce((s, o) => s + o[key], 0);

/** The capture's buffer against a send port (what the Firehose adapter is to it): what it sends, retries and drops. */
describe('PredictionCapture', () => {
  it('sends in the background: add returns before anything is sent, and every row arrives once', async () => {
    const sent: string[] = [];
    const outcomes: CaptureOutcome[] = [];
    const capture = new PredictionCapture(
      async (batch) => {
        await sleep(5);
        sent.push(...batch.map((r) => r.session_id!));
        return { failed: [] };
      },
      100,
      (o) => outcomes.push(o),
    );
    capture.add(rows(3));
    capture.add(rows(2, 3));
    expect(sent).toEqual([]);
    await sleep(50);
    expect(sent.sort()).toEqual(['s0', 's1', 's2', 's3', 's4']);
    expect(total(outcomes, 'sent')).toBe(5);
  });

  it('sends failed rows again, gives up after three failures and reports them — and never throws, even when the send does', async () => {
    const attempts = new Map<string, number>();
    const outcomes: CaptureOutcome[] = [];
    const capture = new PredictionCapture(
      async (batch) => {
        for (const r of batch) attempts.set(r.session_id!, (attempts.get(r.session_id!) ?? 0) + 1);
        if (batch.some((r) => r.session_id === 's0') && attempts.get('s0') === 1) throw new Error('stream down');
        return { failed: batch.flatMap((r, index) => (r.session_id === 's1' ? [{ index }] : [])) };
      },
      100,
      (o) => outcomes.push(o),
    );
    expect(() => capture.add(rows(3))).not.toThrow();
    // The first round fails whole (nothing got through): the next one comes a second later by itself.
    await sleep(3_500);
    expect(attempts.get('s1')).toBe(3);
    expect(attempts.get('s0')).toBe(2);
    expect(total(outcomes, 'sent')).toBe(2);
    expect(total(outcomes, 'failed')).toBe(1);
  });

  it('drops what a full buffer has no room for (rows in flight aside), and counts it', async () => {
    const outcomes: CaptureOutcome[] = [];
    let release!: () => void;
    const capture = new PredictionCapture(
      (batch) => new Promise((resolve) => (release = () => resolve({ failed: batch.map((_, index) => ({ index })) }))),
      10,
      (o) => outcomes.push(o),
    );
    capture.add(rows(8));
    await sleep(1);
    capture.add(rows(8, 8));
    capture.add(rows(4, 16));
    expect(total(outcomes, 'dropped')).toBe(2);
    // The 8 in flight fail: no room left beside the 10 waiting, so they are dropped too.
    release();
    await sleep(1);
    expect(total(outcomes, 'dropped')).toBe(10);
  });
});
