import { encodeEnvelope } from '#domain/events/envelope';
import { partitionOf } from '#domain/lake';
import { replayEnvelope, replayHour } from '#domain/replay';
import type { ReplayOptions } from './options';
import type { Selection } from './read';

/** What a run would send: counts per partition and event type, and the bytes on the wire; sends nothing. */
export function dryRun(options: ReplayOptions, selection: Selection, replayId: string): void {
  const { selected, read, duplicates, stillBad } = selection;
  const partitions: Record<string, number> = {};
  const types: Record<string, number> = {};
  let bytes = 0;
  for (const s of selected) {
    const hour = replayHour(s);
    const partition = options.source === 'raw' ? `dt=${hour.slice(0, 10)}/hour=${hour.slice(11, 13)}` : (partitionOf(s.key) ?? 'unknown');
    partitions[partition] = (partitions[partition] ?? 0) + 1;
    types[s.event.event_type] = (types[s.event.event_type] ?? 0) + 1;
    bytes += encodeEnvelope(replayEnvelope(s, replayId)).length;
  }
  if (options.json) {
    const summary = {
      ok: true,
      dry_run: true,
      read,
      selected: selected.length,
      skipped_duplicates: duplicates,
      still_invalid: stillBad.length,
      bytes,
      partitions,
      types,
      still_invalid_rows: stillBad,
    };
    process.stdout.write(`${JSON.stringify(summary)}\n`);
    return;
  }
  const { target } = options;
  process.stdout.write(
    `Would send ${selected.length} events (${bytes.toLocaleString('en-US')} bytes) to ${target.kind === 'file' ? target.name : `${target.kind} ${target.name}`}; read ${read} rows, ${duplicates} duplicate copies skipped${options.source === 'bad' ? `, ${stillBad.length} still invalid` : ''}.\n`,
  );
  for (const [p, n] of Object.entries(partitions).sort()) process.stdout.write(`  ${p}  ${n}\n`);
  process.stdout.write(
    `  by type: ${Object.entries(types)
      .map(([t, n]) => `${t} ${n}`)
      .join(', ')}\n`,
  );
}
