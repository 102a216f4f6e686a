import { fork } from 'node:child_process';
import path from 'node:path';
import { Worker } from 'node:worker_threads';

/**
 * An in-process stand-in that accepts every Firehose PutRecordBatch and Kinesis PutRecords call, so the
 * handler benchmarks measure our code, not a service. It reads and parses each body (the SDK must finish
 * sending) on a worker thread, so that work is not timed as the handler's — or in a child process, so its
 * memory is not counted as the handler's either.
 */
export async function startSink(where: 'thread' | 'process' = 'thread'): Promise<{ url: string; close: () => Promise<void> }> {
  const script = path.join(__dirname, 'sink-server.js');
  const sink = where === 'thread' ? new Worker(script) : fork(script, { stdio: 'ignore' });
  const port = await new Promise<number>((resolve, reject) => sink.once('message', resolve).once('error', reject));
  return {
    url: `http://127.0.0.1:${port}`,
    close: async () => {
      if (sink instanceof Worker) await sink.terminate();
      else sink.kill();
    },
  };
}
