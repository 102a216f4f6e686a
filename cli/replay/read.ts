import { listObjects, readJsonLines } from '#adapters/s3';
import type { BadRow } from '#domain/events/bad-row';
import type { LakeEvent } from '#domain/events/enrich';
import { partitionPrefixes, recoverBadRows, selectRawEvents, sendKey, type BadRowOutcome, type SelectedEvent } from '#domain/replay';
import type { ReplayOptions } from './options';

/** The lake objects of the range (every hourly partition it can touch). */
export async function replayObjectKeys({ bucket, source, range }: ReplayOptions): Promise<string[]> {
  const keys: string[] = [];
  for (const prefix of partitionPrefixes(source, range)) for (const o of await listObjects(bucket, prefix)) keys.push(o.key);
  return keys;
}

export interface Selection {
  /** Rows read from the lake. */
  read: number;
  /** In send order (`sendKey`): a checkpoint's cursor is a position in it. */
  selected: SelectedEvent[];
  duplicates: number;
  stillBad: BadRowOutcome['stillBad'];
}

/** Reads every object (all of them before anything is sent: an unreadable one stops the run first) and selects the events to send. */
export async function selectEvents(options: ReplayOptions, keys: readonly string[]): Promise<Selection> {
  const rows: { key: string; row: unknown }[] = [];
  for (const key of keys) for (const row of await readObject(options.bucket, key)) rows.push({ key, row });
  let selected: SelectedEvent[];
  let duplicates = 0;
  let stillBad: Selection['stillBad'] = [];
  if (options.source === 'raw') ({ selected, duplicates } = selectRawEvents(rows as { key: string; row: LakeEvent }[], options.filter));
  else ({ recovered: selected, stillBad } = recoverBadRows(rows as { key: string; row: BadRow }[], options.filter, options.fix));
  const ordered = selected
    .map((s) => ({ s, key: sendKey(s) }))
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
    .map(({ s }) => s);
  return { read: rows.length, selected: ordered, duplicates, stillBad };
}

async function readObject(bucket: string, key: string): Promise<unknown[]> {
  try {
    return await readJsonLines(bucket, key);
  } catch (error) {
    if ((error as Error).name === 'InvalidObjectState') {
      throw new Error(
        `s3://${bucket}/${key} is archived (GLACIER); nothing was sent. Restore the range first (aws s3api restore-object --bucket ${bucket} --key <key> --restore-request Days=7, for each object), wait for the restore, then replay again.`,
        { cause: error },
      );
    }
    throw new Error(`Cannot read s3://${bucket}/${key} (${(error as Error).message}); nothing was sent.`, { cause: error });
  }
}
