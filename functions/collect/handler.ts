import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { putRecords } from '#adapters/kinesis';
import { pseudonymization } from '#adapters/secrets';
import { BatchShapeError, MAX_BODY_BYTES, planCollect } from '#domain/collect';
import { observedFrom } from '#domain/events/envelope';
import { collectConfig } from '#shared/config';
import { RequestError } from '#shared/errors';
import { httpErrors, json, parseJsonBody, type HttpEvent, type HttpResult } from '#shared/http';
import { logger, metrics } from '#shared/logger';
import { DeadlineError, withDeadline } from '#shared/retry';
import { lambdaHandler } from '#shared/lambda';

const config = collectConfig();
const pseudonymizationKey = pseudonymization(config.pseudonymization);
const PUT_DEADLINE_MS = 20_000;

/** POST /events: one event or an array of up to 500 → 202 {accepted, rejected, without_consent}. */
const collect = async (event: HttpEvent): Promise<HttpResult> => {
  const body = parseJsonBody(event, MAX_BODY_BYTES, { textPlain: true });
  // From API Gateway's request context: what the client sends in headers such as X-Forwarded-For is not trusted.
  // planCollect anonymizes the IP (and the event's own context.ip) before anything is put on the stream.
  const observed = observedFrom(event.requestContext?.http?.sourceIp, event.requestContext?.http?.userAgent);
  const privacy = { ip: config.ipAnonymization, pseudonymize: await pseudonymizationKey(), requireConsent: config.requireConsent };
  let plan;
  try {
    plan = planCollect(body, new Date().toISOString(), observed, privacy);
  } catch (error) {
    if (error instanceof BatchShapeError) throw new RequestError(error.tooLarge ? 413 : 400, error.message);
    throw error;
  }
  // The stream gets a time budget well inside the function's 29 s: past it, the client is told to send again.
  const { failed } = await withDeadline(putRecords(config.streamName, plan.records), PUT_DEADLINE_MS, 'putting the events on the stream').catch(
    (error: unknown) => {
      if (!(error instanceof DeadlineError)) throw error;
      return { failed: plan.records.map((_, index) => ({ index, error: error.message })) };
    },
  );
  metrics.addMetric('EventsWithoutConsent', MetricUnit.Count, plan.withoutConsent);
  metrics.addMetric('EventsRejected', MetricUnit.Count, plan.rejected.length);
  const failedValid = failed.flatMap((f) => plan.records[f.index]!.valid).sort((a, b) => a - b);
  metrics.addMetric('EventsAccepted', MetricUnit.Count, plan.accepted - failedValid.length);
  if (failed.length > 0) {
    logger.warn('events not put on the stream after retries', { failed: failed.length, firstError: failed[0]?.error });
  }
  if (failedValid.length > 0) {
    // Nothing is half-accepted silently: the client is told which events to send again (event ids make that safe).
    return json(
      503,
      {
        error: 'StreamUnavailable',
        message: 'Some events could not be queued; send the events listed in "failed" again.',
        accepted: plan.accepted - failedValid.length,
        failed: failedValid,
        rejected: plan.rejected,
        without_consent: plan.withoutConsent,
      },
      { 'retry-after': '1' },
    );
  }
  return json(202, { accepted: plan.accepted, rejected: plan.rejected, without_consent: plan.withoutConsent });
};

export const handler = lambdaHandler(collect).use(logMetrics(metrics)).use(httpErrors());
