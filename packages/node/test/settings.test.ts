import { describe, expect, it } from 'vitest';
import { ConfigError } from '../src/internal/errors.ts';
import { loadSettings } from '../src/internal/settings.ts';

// A config path that does not exist is an error, so these tests pass one only where they mean it.
const load = (env: NodeJS.ProcessEnv) => loadSettings({ dataDir: '/nonexistent-groundwork-test' }, { env });

describe('settings: verify.nice', () => {
  it('is 0 unless set, and GROUNDWORK_VERIFY_NICE sets it', () => {
    expect(load({}).verify).toEqual({ nice: 0 });
    expect(load({ GROUNDWORK_VERIFY_NICE: '10' }).verify).toEqual({ nice: 10 });
  });

  it('refuses a value outside 0–19 or not an integer, naming the setting', () => {
    for (const bad of ['20', '-1', '2.5', 'ten'])
      expect(() => load({ GROUNDWORK_VERIFY_NICE: bad })).toThrow(
        expect.objectContaining({ message: expect.stringContaining('verify.nice') }),
      );
    expect(() => load({ GROUNDWORK_VERIFY_NICE: '20' })).toThrow(ConfigError);
  });
});
