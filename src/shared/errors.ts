/** Base of every error this project throws on purpose; `name` is stable (ASL Retry/Catch and HTTP mapping match it). */
export class ClickstreamError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** A required setting is missing or malformed: a deployment mistake, never retried. */
export class ConfigurationError extends ClickstreamError {}

/** The configured AWS endpoint does not answer (most often: the local cloud is not running). */
export class EndpointUnreachableError extends ClickstreamError {}

/** Records still failed after every retry; the caller reports them back so nothing is skipped. */
export class DeliveryError extends ClickstreamError {
  constructor(
    message: string,
    readonly failedCount: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** A client sent something we cannot accept; carries the HTTP status to answer with. */
export class RequestError extends ClickstreamError {
  constructor(
    readonly statusCode: 400 | 401 | 403 | 404 | 409 | 413 | 415,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }
}

/**
 * Something the request needs is not there right now (e.g. no model promoted yet): a 503. `message` is for the
 * logs (it may name endpoints, buckets, IAM errors); the client gets `publicMessage`, which names nothing internal.
 */
export class UnavailableError extends ClickstreamError {
  readonly publicMessage: string;
  constructor(message: string, options?: { cause?: unknown; publicMessage?: string }) {
    super(message, options);
    this.publicMessage = options?.publicMessage ?? 'A service this request needs is unavailable right now; try again later.';
  }
}
