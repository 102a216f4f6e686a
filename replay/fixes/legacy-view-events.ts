/**
 * Example `--fix` for `npm run replay -- --source bad --fix replay/fixes/legacy-view-events.ts`.
 *
 * An older tracker sent `"event_type": "view"` and `"timestamp"` (epoch milliseconds) instead of
 * `"product_view"` and `"event_time"`; those events were rejected as bad rows. This maps them to the contract
 * and leaves anything else as it was (the replay then re-validates every event against the current schema).
 */
export function fix(event: unknown): unknown {
  if (event === null || typeof event !== 'object' || Array.isArray(event)) return event;
  const { timestamp, ...rest } = event as Record<string, unknown>;
  const fixed: Record<string, unknown> = { ...rest };
  if (fixed.event_type === 'view') fixed.event_type = 'product_view';
  if (fixed.event_time === undefined && typeof timestamp === 'number') fixed.event_time = new Date(timestamp).toISOString();
  else if (timestamp !== undefined) fixed.timestamp = timestamp;
  return fixed;
}
