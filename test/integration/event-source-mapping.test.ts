import type { InvokeResult } from '../../local/event-source-mapping';
import { WINDOW_STATE_LIMIT_BYTES } from '../../local/event-source-mapping';
import { itLocal } from '../helpers/cloud';
import { arrivals, mappingOn, nextWindow, putAll, testStream } from '../helpers/streams';
import { waitFor } from '../helpers/wait';

const WINDOW_MS = 2_000;
const run = Date.now().toString(36);

interface Call {
  start: string;
  end: string;
  final: boolean;
  early: boolean;
  state: { n?: number; pad?: string };
  records: { data: string; arrival: number; seq: string }[];
}

type WindowEvent = {
  window: { start: string; end: string };
  state: Call['state'];
  isFinalInvokeForWindow: boolean;
  isWindowTerminatedEarly: boolean;
  Records: { kinesis: { data: string; approximateArrivalTimestamp: number; sequenceNumber: string } }[];
};

/** A function that counts its window's records in its state (and records every call the mapping made). */
function counter(respond: (call: Call) => InvokeResult | undefined = () => undefined) {
  const calls: Call[] = [];
  const invoke = async (_name: string, event: unknown): Promise<InvokeResult> => {
    const e = event as WindowEvent;
    const call: Call = {
      start: e.window.start,
      end: e.window.end,
      final: e.isFinalInvokeForWindow,
      early: e.isWindowTerminatedEarly,
      state: e.state,
      records: e.Records.map((r) => ({
        data: Buffer.from(r.kinesis.data, 'base64').toString(),
        arrival: r.kinesis.approximateArrivalTimestamp * 1000,
        seq: r.kinesis.sequenceNumber,
      })),
    };
    calls.push(call);
    return respond(call) ?? { payload: { state: e.isFinalInvokeForWindow ? {} : { n: (e.state.n ?? 0) + e.Records.length }, batchItemFailures: [] } };
  };
  return { calls, invoke };
}

const records = (tag: string, n: number) => Array.from({ length: n }, (_, i) => ({ data: Buffer.from(`${tag}-${i}`), partitionKey: 'one-shard' }));

describe("the local event-source mapping's tumbling windows (Lambda's semantics)", () => {
  itLocal(
    'windows records by arrival, never mixes two windows in a batch, carries the state, and ends each window with a final invocation',
    async () => {
      const stream = await testStream(`esm-windows-${run}`, 1);
      const fn = counter();
      const mapping = mappingOn(stream.arn, fn.invoke, { batchSize: 10, tumblingWindowSeconds: WINDOW_MS / 1000 });
      await mapping.start();
      try {
        for (let w = 0; w < 2; w++) {
          await nextWindow(WINDOW_MS, 300);
          await putAll(stream.name, records(`w${w}`, 25));
        }
        // No record comes after the second window: it still ends, once its time is up.
        await waitFor('both windows to end', () => fn.calls.filter((c) => c.final).length >= 2, 60_000);
        const onStream = await arrivals(stream.name);
        for (const call of fn.calls) {
          for (const r of call.records) {
            expect(r.arrival).toBeGreaterThanOrEqual(Date.parse(call.start));
            expect(r.arrival).toBeLessThan(Date.parse(call.end));
          }
          expect(Date.parse(call.end) - Date.parse(call.start)).toBe(WINDOW_MS);
          expect(Date.parse(call.start) % WINDOW_MS).toBe(0);
        }
        const finals = fn.calls.filter((c) => c.final);
        // The final invocation has no records and the state of the window's every record.
        expect(finals.map((c) => [c.records.length, c.state.n])).toEqual([
          [0, 25],
          [0, 25],
        ]);
        // Each window's first invocation starts from an empty state.
        const firsts = [...new Set(fn.calls.map((c) => c.start))].map((start) => fn.calls.find((c) => c.start === start)!);
        expect(firsts.map((c) => c.state)).toEqual([{}, {}]);
        expect(fn.calls.flatMap((c) => c.records.map((r) => r.data)).sort()).toEqual(onStream.map((r) => r.data.toString()).sort());
        expect(mapping.stats.windows).toBe(2);
      } finally {
        await mapping.stop();
        await stream.remove();
      }
    },
    120_000,
  );

  itLocal(
    'treats an answer without state as a failure, resumes a partial batch failure with the state returned, and retries a failed final invocation until it succeeds',
    async () => {
      const stream = await testStream(`esm-failures-${run}`, 1);
      let noState = 1;
      let partial = 1;
      let finalFails = 2;
      const fn = counter((call) => {
        if (call.final) return finalFails-- > 0 ? { functionError: 'Unhandled', payload: {} } : undefined;
        if (noState-- > 0) return { payload: { batchItemFailures: [] } };
        // The first 4 records succeed (counted in the state returned), the 5th is reported: the rest comes again.
        if (partial-- > 0) return { payload: { state: { n: (call.state.n ?? 0) + 4 }, batchItemFailures: [{ itemIdentifier: call.records[4]!.seq }] } };
        return undefined;
      });
      const mapping = mappingOn(stream.arn, fn.invoke, { batchSize: 10, tumblingWindowSeconds: WINDOW_MS / 1000 });
      await mapping.start();
      try {
        await nextWindow(WINDOW_MS, 300);
        await putAll(stream.name, records('f', 10));
        // A slow moment of the shared local cloud must not fail the test: the window's end is awaited, then checked.
        await waitFor('the window to end', () => mapping.stats.windows >= 1, 60_000);
        expect(mapping.stats.windows).toBe(1);
        const finals = fn.calls.filter((c) => c.final);
        expect(finals.length).toBe(3);
        expect(finals.map((c) => c.state.n)).toEqual([10, 10, 10]);
        const batches = fn.calls.filter((c) => !c.final);
        // No state: the same batch again from the same state; then 4 succeeded; the rest (from the reported record) again.
        expect(batches.map((c) => [c.records.length, c.state.n ?? 0])).toEqual([
          [10, 0],
          [10, 0],
          [6, 4],
        ]);
      } finally {
        await mapping.stop();
        await stream.remove();
      }
    },
    120_000,
  );

  itLocal(
    'ends a window early when its state outgrows 1 MB, and goes on in the same window with a fresh state',
    async () => {
      const stream = await testStream(`esm-early-${run}`, 1);
      // The first batch's state is over the limit; later ones are small.
      let big = true;
      const fn = counter((call) => {
        if (call.final) return undefined;
        const pad = 'x'.repeat(big ? WINDOW_STATE_LIMIT_BYTES : 10);
        big = false;
        return { payload: { state: { n: (call.state.n ?? 0) + call.records.length, pad }, batchItemFailures: [] } };
      });
      const mapping = mappingOn(stream.arn, fn.invoke, { batchSize: 5, tumblingWindowSeconds: WINDOW_MS / 1000 });
      await mapping.start();
      try {
        await nextWindow(WINDOW_MS, 300);
        await putAll(stream.name, records('e', 10));
        await waitFor('the window to end', () => mapping.stats.windows >= 2, 60_000);
        expect(mapping.stats.windows).toBe(2);
        const finals = fn.calls.filter((c) => c.final);
        expect(finals.map((c) => [c.early, c.state.n, c.start])).toEqual([
          [true, 5, finals[0]!.start],
          [false, 5, finals[0]!.start],
        ]);
        expect(mapping.stats.windowsTerminatedEarly).toBe(1);
      } finally {
        await mapping.stop();
        await stream.remove();
      }
    },
    120_000,
  );
});
