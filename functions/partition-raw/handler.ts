import type { FirehoseTransformationEvent, FirehoseTransformationResult, FirehoseTransformationResultRecord } from 'aws-lambda';
import { rawRecordPartition, RawRecordError } from '#domain/raw-records';
import { logger } from '#shared/logger';
import { lambdaHandler } from '#shared/lambda';

/** The gzip header and its FNAME fit in the first bytes; the rest of a record is never decoded. */
const HEADER_BASE64_CHARS = 1024;

/**
 * The raw delivery stream's transform (Firehose data transformation): each record back unchanged, with the
 * partition its gzip header names as Firehose's partition keys (src/domain/raw-records.ts). A record that names
 * none is ProcessingFailed: Firehose writes it under errors/raw/processing-failed/, nothing is lost.
 */
const partitionRaw = async (event: FirehoseTransformationEvent): Promise<FirehoseTransformationResult> => {
  let failed = 0;
  const records = event.records.map((record): FirehoseTransformationResultRecord => {
    try {
      const partitionKeys = rawRecordPartition(Buffer.from(record.data.slice(0, HEADER_BASE64_CHARS), 'base64'));
      return { recordId: record.recordId, result: 'Ok', data: record.data, metadata: { partitionKeys: { ...partitionKeys } } };
    } catch (error) {
      if (!(error instanceof RawRecordError)) throw error;
      failed += 1;
      return { recordId: record.recordId, result: 'ProcessingFailed', data: record.data };
    }
  });
  if (failed > 0) logger.warn('raw records without a partition, kept under errors/raw/processing-failed/', { failed, records: records.length });
  return { records };
};

export const handler = lambdaHandler(partitionRaw);
