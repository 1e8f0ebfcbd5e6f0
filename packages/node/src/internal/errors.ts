/**
 * One error base for the whole node: a stable string `code`, a short message
 * and an optional `cause`. Subclasses say whether a retry can help.
 */
export class BaseError extends Error {
  override readonly name: string = 'BaseError';
  readonly code: string;
  readonly details: Record<string, unknown> | undefined;

  constructor(
    code: string,
    message: string,
    options: { cause?: unknown; details?: Record<string, unknown> } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.details = options.details;
  }
}

/** A failure that may succeed when tried again: an RPC call, a database connection. */
export class RetryableError extends BaseError {
  override readonly name: string = 'RetryableError';
}

/** Bad configuration: fails at start-up, with the expected format in the message. */
export class ConfigError extends BaseError {
  override readonly name = 'ConfigError';
  constructor(message: string, options: { cause?: unknown } = {}) {
    super('CONFIG_INVALID', message, options);
  }
}

/** Bad input from a client of the API: answered with a 4xx carrying the code. */
export class InputError extends BaseError {
  override readonly name: string = 'InputError';
  readonly statusCode: number;
  constructor(
    code: string,
    message: string,
    statusCode = 400,
    options: { details?: Record<string, unknown> } = {},
  ) {
    super(code, message, options);
    this.statusCode = statusCode;
  }
}

/** The node is at capacity: the client should retry after `retryAfterSeconds` (HTTP 503 + Retry-After). */
export class OverloadedError extends InputError {
  override readonly name: string = 'OverloadedError';
  readonly retryAfterSeconds: number;
  constructor(message: string, retryAfterSeconds = 1) {
    super('OVERLOADED', message, 503);
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

/** A resource the client asked for does not exist. */
export class NotFoundError extends InputError {
  override readonly name = 'NotFoundError';
  constructor(what: string) {
    super('NOT_FOUND', `${what} not found`, 404);
  }
}
