import type { ErrorObject } from 'ajv';
import { ClickstreamError } from '#shared/errors';
import { schemaIssue, type ValidationIssue } from './schema-issues';
import { aliasMove, rollback } from './validate-admin-request.generated';

/** The registry's admin requests (POST /models/{name}/aliases/{alias}, POST /models/{name}/rollback), checked against schemas/admin-request.schema.json. */

export class AdminRequestError extends ClickstreamError {
  constructor(
    message: string,
    readonly details: ValidationIssue[],
  ) {
    super(message);
  }
}

export interface AliasMoveRequest {
  version: string;
  expected_version?: string;
  reason?: string;
}

export interface RollbackRequest {
  alias?: string;
  reason?: string;
}

function parse<T>(validate: ((value: unknown) => boolean) & { errors?: ErrorObject[] | null }, body: unknown, what: string): T {
  if (validate(body)) return body as T;
  throw new AdminRequestError(
    `The body does not match ${what} (schemas/admin-request.schema.json).`,
    (validate.errors ?? []).map((e) => schemaIssue(e)),
  );
}

/** An absent body is an empty object: a rollback needs nothing; an alias move still needs its version. */
export const parseAliasMove = (body: unknown = {}): AliasMoveRequest => parse(aliasMove, body, 'an alias move ({"version", "expected_version"?, "reason"?})');
export const parseRollback = (body: unknown = {}): RollbackRequest => parse(rollback, body, 'a rollback ({"alias"?, "reason"?})');
