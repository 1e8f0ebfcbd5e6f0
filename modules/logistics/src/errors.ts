import { InputError } from '@groundwork/node';

/** 401: no session, or one that is invalid, expired or revoked. */
export function unauthorized(code: string, message: string): InputError {
  return new InputError(code, message, 401);
}

/** 403: authenticated, but not allowed to see or do this. */
export function forbidden(code: string, message: string, details?: Record<string, unknown>): InputError {
  return new InputError(code, message, 403, details ? { details } : {});
}

/** 409: the request conflicts with the shipment's current state. */
export function conflict(code: string, message: string, details?: Record<string, unknown>): InputError {
  return new InputError(code, message, 409, details ? { details } : {});
}

/** 400: bad input, with what was expected. */
export function badInput(code: string, message: string, details?: Record<string, unknown>): InputError {
  return new InputError(code, message, 400, details ? { details } : {});
}
