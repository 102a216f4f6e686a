/* Generated from schemas/clickstream-event/*.json by "npm run codegen". Do not edit. */
import type { ErrorObject } from 'ajv';
import type * as Events from './clickstream-event.generated';

type Validator<T> = ((value: unknown) => value is T) & { errors?: ErrorObject[] | null };
export declare const v1_0_0: Validator<Events.ClickstreamEvent_1_0_0>;
export declare const v1_1_0: Validator<Events.ClickstreamEvent_1_1_0>;
