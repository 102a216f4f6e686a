import type { ErrorObject } from 'ajv';
import { schemaIssue, type ValidationIssue } from '../schema-issues';
import { SCHEMA_VERSIONS, type ClickstreamEvent, type SchemaVersion } from './clickstream-event.generated';
import { eventInstant } from './event-time';
import * as validators from './validate-event.generated';

export type { ClickstreamEvent, SchemaVersion, ValidationIssue };
export { SCHEMA_VERSIONS };

/** What an event without a `schema` field follows: the contract's first version, which predates the field. */
export const DEFAULT_SCHEMA_VERSION: SchemaVersion = '1-0-0';
/** The newest version (what this project's tracker sends). */
export const LATEST_SCHEMA_VERSION: SchemaVersion = SCHEMA_VERSIONS[SCHEMA_VERSIONS.length - 1]!;

type Validator = ((value: unknown) => boolean) & { errors?: ErrorObject[] | null };
/** One precompiled validator per version (npm run codegen), all live at once. */
const VALIDATORS: ReadonlyMap<string, Validator> = new Map(
  SCHEMA_VERSIONS.map((version) => [version, (validators as Record<string, Validator>)[`v${version.replaceAll('-', '_')}`]!]),
);

/** Serialized UTF-8 size cap of one event; larger events are rejected (JSON Schema cannot express it). */
export const MAX_EVENT_BYTES = 32 * 1024;

/** At most this many issues are kept per event, each path and message cut to MAX_ISSUE_CHARS: an answer stays small whatever is sent. */
export const MAX_ISSUES_PER_EVENT = 3;
const MAX_ISSUE_CHARS = 200;

export type Validation = { ok: true; event: ClickstreamEvent; version: SchemaVersion } | { ok: false; errors: ValidationIssue[] };

const cut = (text: string) => (text.length > MAX_ISSUE_CHARS ? `${text.slice(0, MAX_ISSUE_CHARS - 1)}…` : text);

const describe = (e: ErrorObject): ValidationIssue => {
  const issue = schemaIssue(e, 'is not allowed (unknown field; custom data goes under "extra")');
  return { path: cut(issue.path), message: cut(issue.message) };
};

const UNREPRESENTABLE_TIME: ValidationIssue = {
  path: '/event_time',
  message: 'is not an instant this pipeline can store (a leap second "…:60" or an impossible date); send the next second instead',
};

const unknownVersion = (named: unknown): ValidationIssue => ({
  path: '/schema',
  message: cut(`names no contract version this pipeline has (${JSON.stringify(named)}; it has ${SCHEMA_VERSIONS.join(', ')}): deploy that version, then replay these bad rows`),
});

/**
 * Which version an event follows and what that version validates: the `schema` field (absent: 1-0-0). 1-0-0
 * predates the field, so an event naming it explicitly is checked without it.
 */
function versionOf(value: unknown): { version: SchemaVersion; body: unknown } | { unknown: unknown } {
  if (typeof value !== 'object' || value === null || !('schema' in value)) return { version: DEFAULT_SCHEMA_VERSION, body: value };
  const named = (value as { schema: unknown }).schema;
  if (!VALIDATORS.has(named as string)) return { unknown: named };
  if (named !== DEFAULT_SCHEMA_VERSION) return { version: named as SchemaVersion, body: value };
  const { schema: _named, ...body } = value as Record<string, unknown>;
  return { version: DEFAULT_SCHEMA_VERSION, body };
}

/**
 * Validates one decoded value against the version of the event contract it names. `upperBoundBytes`: a size the serialized event
 * cannot exceed (e.g. the record it came in); when that is under the cap, the event is not re-serialized.
 */
export function validateEvent(value: unknown, upperBoundBytes?: number): Validation {
  const bytes = upperBoundBytes !== undefined && upperBoundBytes <= MAX_EVENT_BYTES ? upperBoundBytes : Buffer.byteLength(JSON.stringify(value) ?? '');
  if (bytes > MAX_EVENT_BYTES) {
    return { ok: false, errors: [{ path: '/', message: `event is ${bytes} bytes; the limit is ${MAX_EVENT_BYTES}` }] };
  }
  const selected = versionOf(value);
  if ('unknown' in selected) return { ok: false, errors: [unknownVersion(selected.unknown)] };
  const validate = VALIDATORS.get(selected.version)!;
  if (validate(selected.body)) {
    const event = selected.body as ClickstreamEvent;
    return eventInstant(event.event_time) === undefined ? { ok: false, errors: [UNREPRESENTABLE_TIME] } : { ok: true, event, version: selected.version };
  }
  const errors = validate.errors ?? [];
  const issues = errors.slice(0, MAX_ISSUES_PER_EVENT).map(describe);
  if (errors.length > MAX_ISSUES_PER_EVENT) issues.push({ path: '/', message: `and ${errors.length - MAX_ISSUES_PER_EVENT} more issue(s)` });
  return { ok: false, errors: issues };
}
