import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import type { Context, KinesisStreamEvent, KinesisStreamRecord } from 'aws-lambda';
import { dedupTable } from '#adapters/dedup-table';
import { firehoseDelivery } from '#adapters/firehose';
import { pseudonymization } from '#adapters/secrets';
import { enrichmentsNamed } from '#domain/enrichments/pipeline';
import { ingestBatch, type StreamRecord } from '#domain/ingest';
import { ingestConfig } from '#shared/config';
import { logger, metrics } from '#shared/logger';
import { lambdaHandler } from '#shared/lambda';

const config = ingestConfig();
const delivery = firehoseDelivery({ raw: config.rawDeliveryStreamName, bad: config.badDeliveryStreamName });
const dedup = config.dedupEnabled ? dedupTable(config.dedupTableName, config.dedupTtlHours) : undefined;
const processor = new BatchProcessor(EventType.KinesisDataStreams);
const enrichments = enrichmentsNamed(config.enrichments);
const pseudonymizationKey = pseudonymization(config.pseudonymization);

const toStreamRecord = (record: KinesisStreamRecord): StreamRecord => ({
  recordId: record.eventID,
  data: Buffer.from(record.kinesis.data, 'base64'),
  stream: record.eventSourceARN.split('/').pop() ?? record.eventSourceARN,
  partitionKey: record.kinesis.partitionKey,
  sequenceNumber: record.kinesis.sequenceNumber,
  approximateArrival: record.kinesis.approximateArrivalTimestamp,
});

/**
 * Kinesis → Firehose. The batch is delivered in bulk (PutRecordBatch), then Powertools turns the
 * per-record outcomes into the partial batch response, so only failed records are re-driven.
 */
const ingest = async (event: KinesisStreamEvent, context: Context) => {
  const { outcomes, summary } = await ingestBatch(event.Records.map(toStreamRecord), {
    delivery,
    ...(dedup ? { dedup } : {}),
    now: () => new Date().toISOString(),
    settings: { window: config.eventTimeWindow, ip: config.ipAnonymization, enrichments, pseudonymize: await pseudonymizationKey() },
  });
  const outcomeBySequence = new Map(event.Records.map((r, i) => [r.kinesis.sequenceNumber, outcomes[i]]));
  logger.info('batch ingested', { records: event.Records.length, ...summary });
  if (summary.dedupMarkError) logger.warn('delivered events not marked seen', { error: summary.dedupMarkError });
  if (summary.dedupLookupError) logger.warn('dedup store unreadable: batch delivered without the cross-batch check', { error: summary.dedupLookupError });
  metrics.addMetric('EventsDelivered', MetricUnit.Count, summary.delivered);
  metrics.addMetric('BadRows', MetricUnit.Count, summary.badRows);
  metrics.addMetric('Duplicates', MetricUnit.Count, summary.duplicates);
  metrics.addMetric('DeliveryFailures', MetricUnit.Count, summary.failed);
  // Records that went out without the cross-batch dedup check (the curated layer still dedups them by event_id).
  metrics.addMetric('DedupSkipped', MetricUnit.Count, summary.dedupLookupError ? event.Records.length : 0);
  // Powertools turns failed outcomes into the partial batch response; a batch without one needs no pass over its records.
  if (!outcomes.some((o) => o instanceof Error)) return { batchItemFailures: [] };
  return processPartialResponse(
    event,
    async (record: KinesisStreamRecord) => {
      const outcome = outcomeBySequence.get(record.kinesis.sequenceNumber);
      if (outcome instanceof Error) throw outcome;
      return outcome;
    },
    processor,
    { context },
  );
};

export const handler = lambdaHandler(ingest).use(logMetrics(metrics));
