import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { Tracer } from '@aws-lambda-powertools/tracer';

/** One logger, metrics and tracer instance per function (Powertools reads POWERTOOLS_* and LOG_LEVEL itself). */
export const logger = new Logger();
export const metrics = new Metrics();
/** X-Ray; POWERTOOLS_TRACE_ENABLED=false (stage param tracing) turns it off, and outside Lambda it is off. */
export const tracer = new Tracer();

/**
 * A count published at once (its own EMF line), with dimensions of its own beside `service`: for events that
 * happen on some paths only, so functions need no end-of-invocation flush that would warn when nothing happened.
 */
export function countNow(name: string, value: number, dimensions: Record<string, string> = {}): void {
  const single = metrics.singleMetric();
  if (Object.keys(dimensions).length > 0) single.addDimensions(dimensions);
  single.addMetric(name, MetricUnit.Count, value);
}

/** A measured value (no unit) published at once with its own dimensions, like `countNow`. */
export function gaugeNow(name: string, value: number, dimensions: Record<string, string> = {}): void {
  const single = metrics.singleMetric();
  if (Object.keys(dimensions).length > 0) single.addDimensions(dimensions);
  single.addMetric(name, MetricUnit.NoUnit, value);
}
