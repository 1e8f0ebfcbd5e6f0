import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { z } from 'zod';
import { DEFAULT_MAX_CACHED_KEYS } from '../ingest/keyCache.ts';
import { ConfigError } from './errors.ts';

/**
 * Anvil's well-known development keys (mnemonic "test test … junk"). Used only
 * for the local network that `groundwork up` runs; never for a real chain.
 */
export const DEV_KEYS = [
  '0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80',
  '0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d',
  '0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a',
  '0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6',
  '0x47e179ec197488593b187f80a00eb0da91f1b9d0b13f8733639f19c30a34926a',
  '0x8b3a350cf5c34c9194ca85829a2df0ec3153be0318b5e2d3348e872092edffba',
  '0x92db14e403b83dfe3df233f83dfa3a0d7096f21ca9b0d6d6b8d88b2b4ec1564e',
  '0x4bbbf85ce3377467afe5d46f804f221813b2bb87f24d81f60f1fcdbf7cbf4356',
  '0xdbda1821b80551c9d65939329250298aa3472ba22feea921c0cf5d620ea67b97',
  '0x2a871d0798f97d79848a013d4936a73bf4cc922c825d33c1cf7073dff6d409c6',
] as const;

const hexKey = z.string().regex(/^0x[0-9a-fA-F]{64}$/, 'a 32-byte hex private key 0x…');

const settingsSchema = z.object({
  dataDir: z.string().min(1),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']),
  api: z.object({ host: z.string().min(1), port: z.number().int().min(0).max(65535) }),
  chain: z.object({
    /** An external chain; when unset `groundwork up` runs anvil on `anvilPort`. */
    rpcUrl: z.string().url().optional(),
    anvilPort: z.number().int().min(0).max(65535),
    /** Block gas limit for the local anvil. */
    gasLimit: z.number().int().positive(),
    pollMs: z.number().int().positive(),
  }),
  /**
   * `url`: PostgreSQL (else the embedded SQLite file). `keepRejections`: how
   * many refused envelopes the audit log keeps (the newest); a device flooded
   * with forged envelopes must not fill the disk. `keepEpochs`: when set, the
   * raw data (envelopes, verdicts, contributions) of epochs older than that
   * many newest submitted ones is deleted (store/prune.ts); unset keeps
   * everything.
   */
  database: z.object({
    url: z.string().optional(),
    keepRejections: z.number().int().positive(),
    keepEpochs: z.number().int().positive().optional(),
  }),
  /**
   * Signature checks. `nice`: how many nice steps below the node's main
   * thread the verify worker threads run (Linux; 0 = equal, the default). See
   * `VerifyPool`'s `nice` option for what it buys and docs/OPERATIONS.md for
   * when to set it. `maxCachedKeys`: most parsed device keys each of those
   * threads keeps (about 1.06 KB each); a fleet larger than it costs a key
   * parse (about 10 µs) per envelope instead.
   */
  verify: z.object({
    nice: z.number().int().min(0).max(19),
    maxCachedKeys: z.number().int().min(2),
  }),
  /**
   * MQTT ingest. With `url` the node subscribes to an external broker through
   * the shared subscription `group`; otherwise it embeds a broker on
   * `embeddedPort` (taken → any free port, printed) unless `enabled` is false.
   */
  mqtt: z.object({
    enabled: z.boolean(),
    url: z.string().optional(),
    embeddedHost: z.string().min(1),
    embeddedPort: z.number().int().min(0).max(65535),
    group: z.string().regex(/^[A-Za-z0-9_-]+$/),
    clientId: z.string().optional(),
    /** External broker: messages held unacknowledged (MQTT 5 Receive Maximum); see `DEFAULT_MQTT_MAX_IN_FLIGHT`. */
    maxInFlight: z.number().int().min(1).max(65535),
  }),
  /** `all`: the whole node. `ingest`: only HTTP and MQTT ingest (scale-out workers over a shared PostgreSQL). */
  role: z.enum(['all', 'ingest']),
  /** Modules to run, by id; unset runs every module folder found. */
  modules: z.array(z.string().regex(/^[a-z][a-z0-9_]*$/)).optional(),
  /** Oracle signing keys this node holds (secp256k1). */
  oracleKeys: z.array(hexKey).min(1),
  /** Quorum the RewardsDistributor is deployed with (local network only). */
  oracleThreshold: z.number().int().positive(),
  /** Key that deploys, owns the registries and submits roots (local network only). */
  deployerKey: hexKey,
  /** Values written to ParameterRegistry when a new network is deployed. */
  genesis: z.object({
    epochSeconds: z.number().int().positive(),
    initialEpochPool: z.string().regex(/^\d+$/, 'a decimal integer of token base units'),
    halvingEpochs: z.number().int().positive(),
    tokenCap: z.string().regex(/^\d+$/, 'a decimal integer of token base units'),
  }),
});

export type Settings = z.infer<typeof settingsSchema>;
type DeepPartial<T> = {
  [K in keyof T]?: T[K] extends object ? (T[K] extends unknown[] ? T[K] : DeepPartial<T[K]>) : T[K];
};
export type SettingsOverrides = DeepPartial<Settings>;

/** The documented defaults: a local network in `./.groundwork`. */
export function defaultSettings(): Settings {
  return {
    dataDir: resolve('.groundwork'),
    logLevel: 'info',
    api: { host: '127.0.0.1', port: 8787 },
    chain: { anvilPort: 8545, gasLimit: 300_000_000, pollMs: 500 },
    database: { keepRejections: 1_000_000 },
    verify: { nice: 0, maxCachedKeys: DEFAULT_MAX_CACHED_KEYS },
    mqtt: {
      enabled: true,
      embeddedHost: '127.0.0.1',
      embeddedPort: 1883,
      group: 'groundwork',
      maxInFlight: 2000,
    },
    role: 'all',
    oracleKeys: [DEV_KEYS[1], DEV_KEYS[2], DEV_KEYS[3]],
    oracleThreshold: 2,
    deployerKey: DEV_KEYS[0],
    genesis: {
      epochSeconds: 3600,
      // 100,000 GRND per epoch, halving every 8,760 epochs (a year of hourly epochs).
      initialEpochPool: (100_000n * 10n ** 18n).toString(),
      halvingEpochs: 8760,
      tokenCap: (10_000_000_000n * 10n ** 18n).toString(),
    },
  };
}

function merge<T>(base: T, over: unknown): T {
  if (over === undefined || over === null) return base;
  if (typeof base !== 'object' || base === null || Array.isArray(base) || typeof over !== 'object')
    return over as T;
  const out: Record<string, unknown> = { ...(base as Record<string, unknown>) };
  for (const [k, v] of Object.entries(over as Record<string, unknown>)) {
    if (v !== undefined) out[k] = merge(out[k], v);
  }
  return out as T;
}

function fromEnv(env: NodeJS.ProcessEnv): SettingsOverrides {
  const o: SettingsOverrides = {};
  if (env.GROUNDWORK_DATA_DIR) o.dataDir = env.GROUNDWORK_DATA_DIR;
  if (env.GROUNDWORK_LOG_LEVEL) o.logLevel = env.GROUNDWORK_LOG_LEVEL as Settings['logLevel'];
  if (env.GROUNDWORK_API_PORT) o.api = { port: Number(env.GROUNDWORK_API_PORT) };
  if (env.RPC_URL) o.chain = { rpcUrl: env.RPC_URL };
  if (env.DATABASE_URL) o.database = { url: env.DATABASE_URL };
  if (env.GROUNDWORK_KEEP_REJECTIONS)
    o.database = { ...o.database, keepRejections: Number(env.GROUNDWORK_KEEP_REJECTIONS) };
  if (env.GROUNDWORK_KEEP_EPOCHS)
    o.database = { ...o.database, keepEpochs: Number(env.GROUNDWORK_KEEP_EPOCHS) };
  if (env.GROUNDWORK_VERIFY_NICE) o.verify = { nice: Number(env.GROUNDWORK_VERIFY_NICE) };
  if (env.GROUNDWORK_VERIFY_MAX_CACHED_KEYS)
    o.verify = { ...o.verify, maxCachedKeys: Number(env.GROUNDWORK_VERIFY_MAX_CACHED_KEYS) };
  if (env.MQTT_URL) o.mqtt = { url: env.MQTT_URL };
  if (env.GROUNDWORK_MQTT_MAX_IN_FLIGHT)
    o.mqtt = { ...o.mqtt, maxInFlight: Number(env.GROUNDWORK_MQTT_MAX_IN_FLIGHT) };
  if (env.GROUNDWORK_MODULES) o.modules = env.GROUNDWORK_MODULES.split(',').map((s) => s.trim());
  if (env.GROUNDWORK_ORACLE_KEYS) o.oracleKeys = env.GROUNDWORK_ORACLE_KEYS.split(',').map((s) => s.trim());
  return o;
}

/**
 * Builds the one typed settings object. Precedence, lowest first: defaults,
 * the config file (`--config`, else `<dataDir>/groundwork.json` if present),
 * environment (`GROUNDWORK_*`, `RPC_URL`, `DATABASE_URL`), then flags.
 * Nothing else in the code base reads `process.env`.
 */
export function loadSettings(
  flags: SettingsOverrides = {},
  options: { env?: NodeJS.ProcessEnv; configPath?: string } = {},
): Settings {
  const env = options.env ?? process.env;
  const envOver = fromEnv(env);
  const dataDir = resolve(flags.dataDir ?? envOver.dataDir ?? defaultSettings().dataDir);
  const configPath = options.configPath ?? resolve(dataDir, 'groundwork.json');
  let fileOver: unknown = {};
  if (existsSync(configPath)) {
    try {
      fileOver = JSON.parse(readFileSync(configPath, 'utf8'));
    } catch (cause) {
      throw new ConfigError(`config file ${configPath} is not valid JSON (expected an object of settings)`, {
        cause,
      });
    }
  } else if (options.configPath) {
    throw new ConfigError(`config file ${configPath} does not exist`);
  }
  const merged = merge(merge(merge(defaultSettings(), fileOver), envOver), { ...flags, dataDir });
  const parsed = settingsSchema.safeParse(merged);
  if (!parsed.success) {
    const first = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    throw new ConfigError(`invalid settings — ${first}`);
  }
  return parsed.data;
}

/** The settings as they may be logged: private keys replaced. */
export function redactSettings(s: Settings): Record<string, unknown> {
  return {
    ...s,
    oracleKeys: s.oracleKeys.map(() => '[redacted]'),
    deployerKey: '[redacted]',
    database: {
      ...s.database,
      url: s.database.url ? s.database.url.replace(/\/\/[^@/]*@/, '//[redacted]@') : undefined,
    },
  };
}
