import { describe, expect, it } from 'vitest';
import { DEFAULT_MAX_CACHED_KEYS } from '../src/ingest/keyCache.ts';
import { DEFAULT_MQTT_MAX_IN_FLIGHT } from '../src/ingest/mqtt.ts';
import { ConfigError } from '../src/internal/errors.ts';
import { loadSettings } from '../src/internal/settings.ts';

// A config path that does not exist is an error, so these tests pass one only where they mean it.
const load = (env: NodeJS.ProcessEnv) => loadSettings({ dataDir: '/nonexistent-groundwork-test' }, { env });

describe('settings: verify.nice', () => {
  it('is 0 unless set, and GROUNDWORK_VERIFY_NICE sets it', () => {
    expect(load({}).verify).toEqual({ nice: 0, maxCachedKeys: DEFAULT_MAX_CACHED_KEYS });
    expect(load({ GROUNDWORK_VERIFY_NICE: '10' }).verify).toEqual({
      nice: 10,
      maxCachedKeys: DEFAULT_MAX_CACHED_KEYS,
    });
  });
});

describe('settings: verify.maxCachedKeys', () => {
  it('is 262,144 unless set, and GROUNDWORK_VERIFY_MAX_CACHED_KEYS sets it beside verify.nice', () => {
    expect(DEFAULT_MAX_CACHED_KEYS).toBe(262_144);
    expect(
      load({ GROUNDWORK_VERIFY_MAX_CACHED_KEYS: '2000000', GROUNDWORK_VERIFY_NICE: '5' }).verify,
    ).toEqual({ nice: 5, maxCachedKeys: 2_000_000 });
  });

  it('refuses a value below 2 or not an integer, naming the setting', () => {
    for (const bad of ['1', '0', '1.5', 'lots'])
      expect(() => load({ GROUNDWORK_VERIFY_MAX_CACHED_KEYS: bad })).toThrow(
        expect.objectContaining({ message: expect.stringContaining('verify.maxCachedKeys') }),
      );
  });

  it('refuses a value outside 0–19 or not an integer, naming the setting', () => {
    for (const bad of ['20', '-1', '2.5', 'ten'])
      expect(() => load({ GROUNDWORK_VERIFY_NICE: bad })).toThrow(
        expect.objectContaining({ message: expect.stringContaining('verify.nice') }),
      );
    expect(() => load({ GROUNDWORK_VERIFY_NICE: '20' })).toThrow(ConfigError);
  });
});

describe('settings: mqtt.maxInFlight', () => {
  it("is the external-broker worker's default unless set, and GROUNDWORK_MQTT_MAX_IN_FLIGHT sets it", () => {
    expect(load({}).mqtt.maxInFlight).toBe(DEFAULT_MQTT_MAX_IN_FLIGHT);
    expect(DEFAULT_MQTT_MAX_IN_FLIGHT).toBe(2000);
    expect(load({ GROUNDWORK_MQTT_MAX_IN_FLIGHT: '500' }).mqtt.maxInFlight).toBe(500);
    // With MQTT_URL too: the two variables fill the same section.
    expect(
      load({ MQTT_URL: 'mqtt://broker:1883', GROUNDWORK_MQTT_MAX_IN_FLIGHT: '4000' }).mqtt,
    ).toMatchObject({
      url: 'mqtt://broker:1883',
      maxInFlight: 4000,
      group: 'groundwork',
    });
  });

  it('refuses a value outside 1–65535 (MQTT 5 Receive Maximum) or not an integer, naming the setting', () => {
    for (const bad of ['0', '65536', '1.5', 'many'])
      expect(() => load({ GROUNDWORK_MQTT_MAX_IN_FLIGHT: bad })).toThrow(
        expect.objectContaining({ message: expect.stringContaining('mqtt.maxInFlight') }),
      );
  });
});

describe('settings: database.keepEpochs', () => {
  it('is unset (keep everything) unless GROUNDWORK_KEEP_EPOCHS sets it, beside keepRejections', () => {
    expect(load({}).database.keepEpochs).toBeUndefined();
    expect(load({ GROUNDWORK_KEEP_EPOCHS: '720', GROUNDWORK_KEEP_REJECTIONS: '5' }).database).toMatchObject({
      keepEpochs: 720,
      keepRejections: 5,
    });
  });

  it('refuses a value below 1 or not an integer, naming the setting', () => {
    for (const bad of ['0', '-3', '1.5', 'week'])
      expect(() => load({ GROUNDWORK_KEEP_EPOCHS: bad })).toThrow(
        expect.objectContaining({ message: expect.stringContaining('database.keepEpochs') }),
      );
  });
});
