import type { ErrorObject } from 'ajv';
import { schemaIssue, type ValidationIssue } from '../schema-issues';
import schema from '../../../schemas/clickstream-event.schema.json';
import type { ClickstreamEvent } from './clickstream-event.generated';
import { eventInstant } from './event-time';
import validateSchema from './validate-event.generated';

export type { ClickstreamEvent, ValidationIssue };

/** "1-0-0" from the schema's $id: stamped on every lake row so readers know which contract it met. */
export const SCHEMA_VERSION = /\/(\d+-\d+-\d+)\.json$/.exec(schema.$id)?.[1] ?? 'unknown';

/** Serialized UTF-8 size cap of one event; larger events are rejected (JSON Schema cannot express it). */
export const MAX_EVENT_BYTES = 32 * 1024;

/** At most this many issues are kept per event, each path and message cut to MAX_ISSUE_CHARS: an answer stays small whatever is sent. */
export const MAX_ISSUES_PER_EVENT = 3;
const MAX_ISSUE_CHARS = 200;

export type Validation = { ok: true; event: ClickstreamEvent } | { ok: false; errors: ValidationIssue[] };

const cut = (text: string) => (text.length > MAX_ISSUE_CHARS ? `${text.slice(0, MAX_ISSUE_CHARS - 1)}…` : text);

const describe = (e: ErrorObject): ValidationIssue => {
  const issue = schemaIssue(e, 'is not allowed (unknown field; custom data goes under "extra")');
  return { path: cut(issue.path), message: cut(issue.message) };
};

const UNREPRESENTABLE_TIME: ValidationIssue = {
  path: '/event_time',
  message: 'is not an instant this pipeline can store (a leap second "…:60" or an impossible date); send the next second instead',
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
  if (validateSchema(value)) {
    return eventInstant(value.event_time) === undefined ? { ok: false, errors: [UNREPRESENTABLE_TIME] } : { ok: true, event: value };
  }
  const errors = validateSchema.errors ?? [];
  const issues = errors.slice(0, MAX_ISSUES_PER_EVENT).map(describe);
  if (errors.length > MAX_ISSUES_PER_EVENT) issues.push({ path: '/', message: `and ${errors.length - MAX_ISSUES_PER_EVENT} more issue(s)` });
  return { ok: false, errors: issues };
}
