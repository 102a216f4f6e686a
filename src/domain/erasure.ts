import { createHash, randomUUID } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';
import { pseudonym, type Pseudonymization, type PseudonymizedField } from './privacy';
import { rawRecord, rawRecordPartition } from './raw-records';

/**
 * Erasure of one person (GDPR art. 17) from the lake: which rows are theirs, and each object rewritten without
 * them — every other line kept byte for byte. Pure: the adapters (src/adapters/erasure.ts) read and write S3,
 * DynamoDB and the registry.
 */

/** The ids a person can be erased by: the contract's ids of a visitor or a user. */
export type SubjectField = PseudonymizedField;

/**
 * Who to erase, as the pipeline stored them: the SHA-256 digests of the stored form of the id (its pseudonym when
 * the stage pseudonymizes the field, else the id itself). Only digests travel (state machine input, logs), so the
 * erasure's own records hold no id.
 */
export interface ErasureSubject {
  field: SubjectField;
  sha256: readonly string[];
}

export class ErasureRequestError extends Error {
  override name = 'ErasureRequestError';
}

export const sha256 = (text: string): string => createHash('sha256').update(text, 'utf8').digest('hex');

/** The subject of an erasure request for `id` of `field`, as the stage's pseudonymization stores it. */
export function erasureSubject(field: SubjectField, id: string, pseudonymize?: Pseudonymization): ErasureSubject {
  if (id.length === 0 || id.length > 128) throw new ErasureRequestError(`The ${field} to erase must be 1–128 characters (the contract's limit).`);
  const stored = pseudonymize?.fields.includes(field) ? pseudonym(id, pseudonymize.key) : id;
  return { field, sha256: [sha256(stored)] };
}

/**
 * What the removed rows tell the later steps: their event ids (dedup items), UTC dates (features, models) and the
 * SHA-256 digests of their session ids (captured predictions) — digests, so no id travels on.
 */
export interface Found {
  eventIds: Set<string>;
  dates: Set<string>;
  sessions: Set<string>;
}

export const emptyFound = (): Found => ({ eventIds: new Set(), dates: new Set(), sessions: new Set() });

/** Which lines of an object to take out: JSON values, or text that is not JSON. */
export interface LineMatcher {
  text(text: string): boolean;
  value(value: unknown): boolean;
}

export interface ObjectErasure {
  /** The object's new bytes; undefined when nothing in it is the subject's. */
  bytes?: Buffer;
  rows: number;
  removed: number;
}

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);
const isGzip = (bytes: Buffer) => bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
const DATE = /^(\d{4}-\d{2}-\d{2})T/;
// Quoted strings and pseudonyms: where an id can sit in text that is not JSON (a malformed record kept as a bad row).
const TOKENS = /"((?:[^"\\\n]|\\.){1,128})"|(ps_[0-9a-f]{64})/g;

/** Decides, row by row, whether a lake line is the subject's, and remembers what the removed ones held. */
export class SubjectMatcher implements LineMatcher {
  private readonly digests: ReadonlySet<string>;
  readonly found = emptyFound();

  constructor(readonly subject: ErasureSubject) {
    this.digests = new Set(subject.sha256);
  }

  private isSubject = (value: unknown): boolean => typeof value === 'string' && this.digests.has(sha256(value));

  /** An event (a raw row, or an event inside an envelope) of the subject's; its id and dates are noted. */
  private event(value: unknown): boolean {
    if (!isObject(value) || !this.isSubject(value[this.subject.field])) return false;
    if (typeof value.event_id === 'string') this.found.eventIds.add(value.event_id);
    if (typeof value.session_id === 'string') this.found.sessions.add(sha256(value.session_id));
    for (const time of [value.event_time, value.partition_time, value.received_at]) {
      const date = typeof time === 'string' ? DATE.exec(time)?.[1] : undefined;
      if (date) this.found.dates.add(date);
    }
    return true;
  }

  /** Any text: JSON (an envelope, a row) read as such; otherwise every quoted string and pseudonym in it. */
  text(text: string): boolean {
    try {
      return this.value(JSON.parse(text));
    } catch {
      let hit = false;
      for (const match of text.matchAll(TOKENS)) hit = this.isSubject(match[1] ?? match[2]) || hit;
      return hit;
    }
  }

  /** A decoded line of any zone: a raw row, a bad row (its payload), a collector envelope (its events). */
  value(value: unknown): boolean {
    if (!isObject(value)) return typeof value === 'string' ? this.text(value) : false;
    let hit = this.event(value);
    if (typeof value.payload_base64 === 'string') hit = this.text(Buffer.from(value.payload_base64, 'base64').toString('utf8')) || hit;
    if (isObject(value.event)) hit = this.event(value.event) || hit;
    if (Array.isArray(value.events)) for (const event of value.events) hit = this.event(event) || hit;
    return hit;
  }
}

/**
 * The captured predictions (predictions/) of the subject's sessions, by their session ids' digests: a prediction
 * row holds a session id and features, no person id, so it is found through the sessions the person's events named.
 */
export class SessionMatcher implements LineMatcher {
  constructor(private readonly digests: ReadonlySet<string>) {}

  value(value: unknown): boolean {
    return isObject(value) && typeof value.session_id === 'string' && this.digests.has(sha256(value.session_id));
  }

  text(): boolean {
    return false;
  }
}

/**
 * Newline-delimited text without the subject's lines; every other line (and the line breaks) kept as it was.
 * A Firehose error line (`rawData`) is rewritten without the subject's rows inside it, or dropped when none are left.
 */
function eraseLines(text: string, matcher: LineMatcher): { text: string; rows: number; removed: number } {
  const lines = text.split('\n');
  const kept: string[] = [];
  let rows = 0;
  let removed = 0;
  for (const line of lines) {
    // Empty pieces (after the final newline, blank lines) stay where they were.
    if (line.length === 0) {
      kept.push(line);
      continue;
    }
    rows++;
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      if (matcher.text(line)) removed++;
      else kept.push(line);
      continue;
    }
    if (isObject(parsed) && typeof parsed.rawData === 'string') {
      const inner = eraseRecordData(Buffer.from(parsed.rawData, 'base64'), matcher);
      if (inner.removed === 0) kept.push(line);
      else if (inner.rows > inner.removed) kept.push(JSON.stringify({ ...parsed, rawData: inner.bytes!.toString('base64') }));
      removed += inner.removed;
      continue;
    }
    if (matcher.value(parsed)) removed++;
    else kept.push(line);
  }
  return { text: kept.join('\n'), rows, removed };
}

/** A Firehose record's data (a raw record: a gzip member naming its partition; or plain rows/an envelope). */
function eraseRecordData(data: Buffer, matcher: LineMatcher): ObjectErasure {
  if (!isGzip(data)) {
    const result = eraseLines(data.toString('utf8'), matcher);
    return { ...result, bytes: result.removed > 0 ? Buffer.from(result.text, 'utf8') : undefined };
  }
  const result = eraseLines(gunzipSync(data).toString('utf8'), matcher);
  if (result.removed === 0) return { rows: result.rows, removed: 0 };
  let partition;
  try {
    partition = rawRecordPartition(data);
  } catch {
    partition = undefined;
  }
  const text = Buffer.from(result.text, 'utf8');
  return { rows: result.rows, removed: result.removed, bytes: partition ? rawRecord(text, partition) : gzipSync(text) };
}

/** One lake object (raw/, bad/, errors/, predictions/; gzip or not, by its first bytes) without the subject's rows. */
export function eraseFromObject(bytes: Buffer, matcher: LineMatcher): ObjectErasure {
  const gzip = isGzip(bytes);
  const result = eraseLines((gzip ? gunzipSync(bytes) : bytes).toString('utf8'), matcher);
  if (result.removed === 0) return { rows: result.rows, removed: 0 };
  const text = Buffer.from(result.text, 'utf8');
  return { rows: result.rows, removed: result.removed, bytes: gzip ? gzipSync(text) : text };
}

/** One version of an object as S3 lists it. */
export interface ObjectVersion {
  key: string;
  versionId: string;
  isLatest: boolean;
  deleteMarker: boolean;
}

/** The registry's record of one model version's training data (ModelVersion.data). */
export interface TrainedOn {
  model_name: string;
  version: string;
  partitions: readonly string[];
}

/** The model versions trained on a partition ("dt=YYYY-MM-DD") holding one of the subject's dates. */
export function modelsTrainedOn<T extends TrainedOn>(versions: readonly T[], dates: ReadonlySet<string>): T[] {
  return versions.filter((v) => v.partitions.some((p) => dates.has(p.replace(/^dt=/, ''))));
}

/** The erasure's audit record: counts, keys and model versions — no id, no digest of one. */
export interface ErasureReceipt {
  erasure_id: string;
  requested_at: string;
  completed_at: string;
  dry_run: boolean;
  field: SubjectField;
  objects_scanned: number;
  objects_rewritten: number;
  rows_removed: number;
  rewritten: string[];
  versions_deleted: number;
  /** The bucket's versioning: "Enabled"/"Suspended" (older versions checked and deleted) or "never enabled" (there are none). */
  versioning: string;
  dedup_event_ids: number;
  /** Curated and feature objects of the subject's dates, and training channels built from them (derived: rebuilt, not edited). */
  derived_objects_deleted: string[];
  /** Captured predictions of the subject's sessions removed from predictions/ (their objects are in `rewritten`). */
  prediction_rows_removed: number;
  models_flagged: { model_name: string; version: string }[];
}

export const newErasureId = (at: Date): string => `er-${at.toISOString().replace(/[-:]/g, '').slice(0, 15)}Z-${randomUUID().slice(0, 8)}`;

/** Where receipts are kept in the lake bucket (no lifecycle rule expires them). */
export const ERASURE_AUDIT_PREFIX = 'audit/erasures/';
/** Where an erasure's list of objects (the state machine's Distributed Map input) is written. */
export const ERASURE_MANIFEST_PREFIX = 'erasure/manifests/';
