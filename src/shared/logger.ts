import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';

/** One logger and one metrics instance per function (Powertools reads POWERTOOLS_* and LOG_LEVEL itself). */
export const logger = new Logger();
export const metrics = new Metrics();
