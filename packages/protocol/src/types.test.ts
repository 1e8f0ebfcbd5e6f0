import { describe, expect, it } from 'vitest';
import { KIND_PATTERN, moduleIdOfKind } from './types.ts';

describe('moduleIdOfKind', () => {
  it('takes the part before the first dot', () => {
    expect(moduleIdOfKind('energy.interval')).toBe('energy');
    expect(moduleIdOfKind('coverage.beacon.v2')).toBe('coverage');
  });

  it('matches the kind pattern the envelope format documents', () => {
    expect(KIND_PATTERN.source).toBe('^[a-z][a-z0-9_]{0,31}\\.[a-z][a-z0-9_.]{0,62}$');
  });
});
