/* Generated from schemas/clickstream-event.schema.json by "npm run codegen". Do not edit. */
import type { ErrorObject } from 'ajv';
import type { ClickstreamEvent } from './clickstream-event.generated';

declare const validate: ((value: unknown) => value is ClickstreamEvent) & { errors?: ErrorObject[] | null };
export = validate;
