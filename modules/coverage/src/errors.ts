import { BaseError } from '@groundwork/node/internal/errors.ts';

/** Errors of the coverage module, each with a stable code (e.g. `PARAM_MISSING`, `FACTS_INVALID`). */
export class CoverageError extends BaseError {
  override readonly name = 'CoverageError';
}
