import type { FastifyError, FastifyInstance } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { InputError, OverloadedError } from '../internal/errors.ts';
import type { Logger } from '../internal/logger.ts';

/** The one error body the API answers with: `{ error: { code, message } }`. */
export function errorBody(code: string, message: string, details?: unknown) {
  return { error: { code, message, ...(details === undefined ? {} : { details }) } };
}

/**
 * Maps every failure to a coded 4xx (bad input) or a bare 500 (our fault,
 * logged, no stack trace to the client). Nothing a client sends ends the process.
 */
export function installErrorHandler(app: FastifyInstance, log: Logger): void {
  app.setErrorHandler((err: FastifyError, _req, reply) => {
    if (hasZodFastifySchemaValidationErrors(err)) {
      const first = err.validation[0];
      const where = first ? `${err.validationContext ?? 'request'}${first.instancePath || ''}` : 'request';
      return reply.status(400).send(errorBody('BAD_REQUEST', `${where}: ${first?.message ?? 'invalid'}`));
    }
    if (err instanceof OverloadedError) reply.header('retry-after', String(err.retryAfterSeconds));
    if (err instanceof InputError)
      return reply.status(err.statusCode).send(errorBody(err.code, err.message, err.details));
    switch (err.code) {
      case 'FST_ERR_CTP_BODY_TOO_LARGE':
        return reply.status(413).send(errorBody('PAYLOAD_TOO_LARGE', err.message));
      case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
        return reply.status(415).send(errorBody('UNSUPPORTED_MEDIA_TYPE', 'send application/json'));
      case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      case 'FST_ERR_CTP_INVALID_JSON_BODY':
        return reply.status(400).send(errorBody('MALFORMED_JSON', err.message));
      default:
        break;
    }
    if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500) {
      const code = err instanceof SyntaxError ? 'MALFORMED_JSON' : 'BAD_REQUEST';
      return reply.status(err.statusCode).send(errorBody(code, err.message));
    }
    log.error({ msg: 'request failed', err });
    return reply.status(500).send(errorBody('INTERNAL', 'internal error'));
  });
  app.setNotFoundHandler((req, reply) =>
    reply.status(404).send(errorBody('NOT_FOUND', `no route ${req.method} ${req.url}`)),
  );
}
