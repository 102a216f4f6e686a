import type { KinesisStreamEvent } from 'aws-lambda';
import { putWindowItems } from '#adapters/realtime-table';
import { pseudonymization } from '#adapters/secrets';
import { pseudonym } from '#domain/privacy';
import { aggregate, stateFigures, stateFrom, windowItems, type WindowState } from '#domain/realtime/window';
import { realtimeConfig } from '#shared/config';
import { countNow, gaugeNow, logger } from '#shared/logger';
import { lambdaHandler } from '#shared/lambda';

const config = realtimeConfig();
const pseudonymizationKey = pseudonymization(config.pseudonymization);

/** Shard ids are unique within a stream only: items name both. */
const streamName = (arn: string) => arn.split('/').pop() ?? arn;

/** What Lambda adds to a Kinesis event on a mapping with a tumbling window. */
interface TumblingWindowEvent extends KinesisStreamEvent {
  window: { start: string; end: string };
  state?: unknown;
  shardId: string;
  eventSourceARN: string;
  isFinalInvokeForWindow: boolean;
  isWindowTerminatedEarly: boolean;
}

interface TumblingWindowResponse {
  state: WindowState | Record<string, never>;
  batchItemFailures: { itemIdentifier: string }[];
}

/**
 * The stream's real-time analytics (its own event-source mapping with a tumbling window; ingest is untouched):
 * each invocation folds its records into the window's state and hands it back; the final one stores the
 * window's items (one per metric family, the same keys when retried) and publishes its figures as metrics.
 */
const realtime = async (event: TumblingWindowEvent): Promise<TumblingWindowResponse> => {
  const key = await pseudonymizationKey();
  // A visitor's events come together (a session per record): one HMAC per visitor and invocation.
  const pseudonyms = new Map<string, string>();
  const visitor = key?.fields.includes('anonymous_id') ? (id: string) => pseudonyms.get(id) ?? pseudonyms.set(id, pseudonym(id, key.key)).get(id)! : undefined;
  const state = aggregate(
    stateFrom(event.state),
    event.Records.map((r) => ({
      data: Buffer.from(r.kinesis.data, 'base64'),
      sequenceNumber: r.kinesis.sequenceNumber,
      arrivalMs: r.kinesis.approximateArrivalTimestamp * 1000,
    })),
    visitor,
  );
  if (!event.isFinalInvokeForWindow) return { state, batchItemFailures: [] };
  if (state.records > 0) {
    await putWindowItems(
      config.tableName,
      windowItems(state, { start: event.window.start, end: event.window.end, shard: `${streamName(event.eventSourceARN)}/${event.shardId}` }),
      config.retentionHours,
    );
    const figures = stateFigures(state);
    countNow('RealtimeEvents', figures.events);
    countNow('RealtimeBadEvents', figures.bad);
    countNow('RealtimeOrders', figures.orders);
    gaugeNow('RealtimeRevenue', figures.revenue);
    gaugeNow('RealtimeSessions', figures.sessions);
    if (figures.lag_p95_ms !== null) gaugeNow('RealtimeLagP95', figures.lag_p95_ms);
    logger.info('window closed', { window: event.window, shard: event.shardId, terminated_early: event.isWindowTerminatedEarly, ...figures });
  }
  // The window is done: Lambda starts the next one with a fresh state.
  return { state: {}, batchItemFailures: [] };
};

export const handler = lambdaHandler(realtime);
