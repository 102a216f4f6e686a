import type { ErrorObject } from 'ajv';
import schema from '../../../schemas/clickstream-event.schema.json';
import type { ClickstreamEvent } from './clickstream-event.generated';
import validateSchema from './validate-event.generated';

export type { ClickstreamEvent };

/** "1-0-0" from the schema's $id: stamped on every lake row so readers know which contract it met. */
export const SCHEMA_VERSION = /\/(\d+-\d+-\d+)\.json$/.exec(schema.$id)?.[1] ?? 'unknown';

/** Serialized UTF-8 size cap of one event; larger events are rejected (JSON Schema cannot express it). */
export const MAX_EVENT_BYTES = 32 * 1024;


export interface ValidationIssue {
  path: string;
  message: string;
}

export type Validation = { ok: true; event: ClickstreamEvent } | { ok: false; errors: ValidationIssue[] };

const describe = (e: ErrorObject): ValidationIssue => {
  if (e.keyword === 'additionalProperties') {
    const field = (e.params as { additionalProperty: string }).additionalProperty;
    return { path: `${e.instancePath}/${field}`, message: 'is not allowed (unknown field; custom data goes under "extra")' };
  }
  if (e.keyword === 'enum') {
    return { path: e.instancePath, message: `must be one of ${(e.params as { allowedValues: string[] }).allowedValues.join(', ')}` };
  }
  return { path: e.instancePath || '/', message: e.message ?? e.keyword };
};

/**
 * Validates one decoded value against the event contract. `upperBoundBytes`: a size the serialized event
 * cannot exceed (e.g. the record it came in); when that is under the cap, the event is not re-serialized.
 */
export function validateEvent(value: unknown, upperBoundBytes?: number): Validation {
  const bytes = upperBoundBytes !== undefined && upperBoundBytes <= MAX_EVENT_BYTES ? upperBoundBytes : Buffer.byteLength(JSON.stringify(value) ?? '');
  if (bytes > MAX_EVENT_BYTES) {
    return { ok: false, errors: [{ path: '/', message: `event is ${bytes} bytes; the limit is ${MAX_EVENT_BYTES}` }] };
  }
  if (validateSchema(value)) return { ok: true, event: value };
  return { ok: false, errors: (validateSchema.errors ?? []).map(describe) };
}
