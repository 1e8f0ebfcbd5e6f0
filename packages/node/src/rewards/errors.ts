import { BaseError } from '../internal/errors.ts';

/**
 * Errors of the reward stage. None of them is retryable: each means the epoch's
 * inputs (or a stored bundle) are wrong, and running again on the same data
 * gives the same error. Every one carries the offending values in `details`.
 */

/** A reward tree entry is malformed: bad address, or an amount outside uint256. */
export class RewardTreeInvalidEntryError extends BaseError {
  override readonly name = 'RewardTreeInvalidEntryError';
  constructor(index: number, field: 'account' | 'cumulativeAmount', value: unknown, expected: string) {
    super('REWARD_TREE_INVALID_ENTRY', `reward tree entry ${index}: ${field} must be ${expected}`, {
      details: { index, field, value: describe(value), expected },
    });
  }
}

/** Two reward tree entries name the same account (compared case-insensitively). */
export class RewardTreeDuplicateAccountError extends BaseError {
  override readonly name = 'RewardTreeDuplicateAccountError';
  constructor(readonly account: `0x${string}`) {
    super('REWARD_TREE_DUPLICATE_ACCOUNT', `reward tree has account ${account} more than once`, {
      details: { account },
    });
  }
}

/** A proof was asked for an account that has no leaf in the tree. */
export class RewardTreeAccountNotFoundError extends BaseError {
  override readonly name = 'RewardTreeAccountNotFoundError';
  constructor(readonly account: string) {
    super('REWARD_TREE_ACCOUNT_NOT_FOUND', `account ${account} is not in the reward tree`, {
      details: { account },
    });
  }
}

/** A field of the reward function's input is malformed (negative score, bad address, ...). */
export class RewardInputInvalidError extends BaseError {
  override readonly name = 'RewardInputInvalidError';
  constructor(
    readonly path: string,
    readonly expected: string,
    value: unknown,
  ) {
    super('REWARD_INPUT_INVALID', `reward input ${path} must be ${expected}, got ${describe(value)}`, {
      details: { path, expected, value: describe(value) },
    });
  }
}

/** Two `ModuleScores` entries carry the same module name. */
export class RewardDuplicateModuleError extends BaseError {
  override readonly name = 'RewardDuplicateModuleError';
  constructor(readonly module: string) {
    super('REWARD_DUPLICATE_MODULE', `reward input lists module '${module}' more than once`, {
      details: { module },
    });
  }
}

/** A device id appears twice within one module's scores (compared case-insensitively). */
export class RewardDuplicateDeviceError extends BaseError {
  override readonly name = 'RewardDuplicateDeviceError';
  constructor(
    readonly module: string,
    readonly deviceId: string,
  ) {
    super('REWARD_DUPLICATE_DEVICE', `module '${module}' scores device ${deviceId} more than once`, {
      details: { module, deviceId },
    });
  }
}

/** A serialized reward output (from an epoch bundle) is malformed or internally inconsistent. */
export class RewardOutputInvalidError extends BaseError {
  override readonly name = 'RewardOutputInvalidError';
  constructor(
    readonly path: string,
    readonly expected: string,
  ) {
    super('REWARD_OUTPUT_INVALID', `reward output ${path} must be ${expected}`, {
      details: { path, expected },
    });
  }
}

/** A short, JSON-safe rendering of an offending value for messages and details. */
function describe(value: unknown): string {
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'string') return JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}…` : value);
  if (value === null || typeof value !== 'object') return String(value);
  return Array.isArray(value) ? 'an array' : 'an object';
}
