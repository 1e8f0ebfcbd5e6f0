import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import {
  Kysely,
  type Migration,
  Migrator,
  PostgresDialect,
  type RawBuilder,
  SqliteAdapter,
  SqliteDialect,
  sql,
} from 'kysely';
import pg from 'pg';
import { BaseError } from '../internal/errors.ts';
import type { Logger } from '../internal/logger.ts';
import type { GroundworkModule } from '../modules/types.ts';
import { coreMigrations, type Dialect } from './migrations.ts';
import type { Database } from './schema.ts';

export type Db = Kysely<Database>;

/**
 * The SQL dialect behind a query layer, for the few bulk queries whose
 * aggregate functions are spelled differently (json_group_array in SQLite,
 * json_agg in PostgreSQL).
 */
export function dialectOf(db: Kysely<unknown> | Db): Dialect {
  return db.getExecutor().adapter instanceof SqliteAdapter ? 'sqlite' : 'postgres';
}

/**
 * The rows of a JSON array as a FROM item `r(value, i)`: each element and its
 * position, the one spelling that differs between the dialects. Bulk writes
 * send their rows this way, as one JSON parameter, rather than as bound
 * values: one short statement to prepare and no parameter limit, whatever
 * the number of rows. PostgreSQL reads it as `jsonb`, parsed once: on `json`
 * every `->>` parses its element's text again, seven times a row for the
 * reward lines. Indexing 1,000,000 reward lines took 10.1–11.3 s instead of
 * 16.4–20.8 s. Values are strings and safe integers, which `->>` gives back
 * the same from either type.
 */
export function jsonRows(dialect: Dialect, json: string): RawBuilder<unknown> {
  return dialect === 'postgres'
    ? sql`jsonb_array_elements(CAST(${json} AS jsonb)) WITH ORDINALITY AS r(value, i)`
    : sql`(SELECT value, key AS i FROM json_each(${json})) AS r`;
}

/** Where a store lives, so another thread can open its own connection to it. */
export type StoreSource = { sqlitePath: string } | { databaseUrl: string; schema?: string };

/** The better-sqlite3 handle under each SQLite query layer this process opened. */
const sqliteHandles = new WeakMap<Db, SqliteDatabase.Database>();

/**
 * The better-sqlite3 handle under `db` when it is an SQLite store opened by
 * {@link openSqliteStore}; undefined for PostgreSQL. Only for a hot path
 * that Kysely's per-query cost would dominate (ingest's commit: cached
 * prepared statements, one row per call), and only inside a Kysely
 * transaction on `db`, so the statements run in it: the SQLite dialect has
 * one connection, and a Kysely transaction holds it until it ends.
 */
export function sqliteHandleOf(db: Db): SqliteDatabase.Database | undefined {
  return sqliteHandles.get(db);
}

export interface Store {
  db: Db;
  dialect: Dialect;
  /** Absent for an in-memory SQLite store, which no other connection can reach. */
  source?: StoreSource;
  close(): Promise<void>;
}

/**
 * Opens the node's store: PostgreSQL when `databaseUrl` is given, otherwise
 * the embedded SQLite file at `sqlitePath`. Either way one Kysely query layer
 * and the same migrations.
 */
export async function openStore(o: {
  databaseUrl?: string | undefined;
  sqlitePath: string;
  modules?: readonly GroundworkModule[];
  /** PostgreSQL schema (created if missing); tests use one per test. */
  schema?: string;
  /** Where each migration applied is logged (some copy a whole table on a large store). */
  log?: Logger;
}): Promise<Store> {
  const log = o.log ? { log: o.log } : {};
  return o.databaseUrl
    ? openPostgresStore(o.databaseUrl, o.modules ?? [], o.schema, log)
    : openSqliteStore(o.sqlitePath, o.modules ?? [], log);
}

/**
 * Opens a PostgreSQL store. int8 columns (timestamps, seqs, block numbers,
 * counts — all below 2^53) are parsed as numbers for this pool only; token
 * amounts are stored as decimal text and never pass through a float.
 */
export async function openPostgresStore(
  url: string,
  modules: readonly GroundworkModule[] = [],
  schema?: string,
  o: { log?: Logger } = {},
): Promise<Store> {
  if (schema !== undefined && !/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) {
    throw new BaseError('CONFIG_INVALID', `PostgreSQL schema name "${schema}" must match [a-z_][a-z0-9_]*`);
  }
  const types = {
    getTypeParser: ((oid: number, format?: string) =>
      oid === 20
        ? (v: string) => Number(v)
        : pg.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser,
  };
  if (schema) {
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    try {
      await admin.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
    } finally {
      await admin.end();
    }
  }
  const pool = new pg.Pool({ connectionString: url, max: 10, types, options: pgSessionOptions(schema) });
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  try {
    await migrate(db, 'postgres', modules, schema, o.log);
  } catch (err) {
    await db.destroy();
    throw err;
  }
  return {
    db,
    dialect: 'postgres',
    source: schema ? { databaseUrl: url, schema } : { databaseUrl: url },
    async close() {
      await db.destroy();
    },
  };
}

/**
 * Session settings of the node's PostgreSQL connections: the schema, and
 * for the epoch close's few large queries (a million-row join, aggregate and
 * sort), measured at 1,000,000 devices:
 * - no JIT: it spent 0.5 s compiling a query it then ran no faster;
 * - no parallel workers: the planner put the per-device aggregate under a
 *   parallel merge join, so each of three processes computed all of it
 *   (9.2 s instead of 5.7 s) — and the node's digest worker already holds
 *   the other core during a close;
 * - 64 MB per sort before it spills to disk.
 */
export function pgSessionOptions(schema?: string): string {
  return `-c jit=off -c max_parallel_workers_per_gather=0 -c work_mem=64MB${schema ? ` -c search_path=${schema}` : ''}`;
}

/**
 * Opens the embedded store: SQLite in WAL mode with `synchronous=FULL`, so a
 * committed transaction survives `kill -9` and power loss alike. Runs pending
 * migrations before returning.
 */
export async function openSqliteStore(
  path: string,
  modules: readonly GroundworkModule[] = [],
  o: { log?: Logger } = {},
): Promise<Store> {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const sqlite = new SqliteDatabase(path);
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = FULL');
  sqlite.pragma('busy_timeout = 5000');
  sqlite.pragma('foreign_keys = ON');
  // Statement journals in memory: ingest's multi-row INSERT … SELECT (json_each)
  // keeps one while it runs, and past 64 KiB SQLite spills it to a temp file,
  // two write system calls per touched page — about a quarter of ingest's
  // SQLite CPU in the ingest benchmark. Only rolling back a statement inside
  // its transaction reads it; durability is the WAL's. Temp tables and
  // transient indices live in memory too.
  sqlite.pragma('temp_store = MEMORY');
  // bigint columns hold ms timestamps and seqs below 2^53: plain numbers are exact.
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: sqlite }) });
  sqliteHandles.set(db, sqlite);
  await migrate(db, 'sqlite', modules, undefined, o.log);
  return {
    db,
    dialect: 'sqlite',
    ...(path !== ':memory:' ? { source: { sqlitePath: path } } : {}),
    async close() {
      await db.destroy();
    },
  };
}

/** Core migrations, then each module's, prefixed `<module>/` (a module added later migrates then). */
async function migrate(
  db: Db,
  dialect: Dialect,
  modules: readonly GroundworkModule[],
  schema?: string,
  log?: Logger,
): Promise<void> {
  const found: Record<string, Migration> = { ...coreMigrations(dialect) };
  for (const m of modules)
    for (const [name, mig] of Object.entries(m.migrations ?? {})) found[`${m.id}/${name}`] = mig;
  // Each migration says when it starts and how long it took: a few rebuild a table,
  // minutes on a large store, and the node must not look stuck meanwhile.
  const all: Record<string, Migration> = {};
  for (const [name, mig] of Object.entries(found))
    all[name] = {
      ...mig,
      async up(trx) {
        log?.info({ msg: 'applying store migration', migration: name });
        const started = performance.now();
        await mig.up(trx);
        log?.info({
          msg: 'store migration applied',
          migration: name,
          seconds: Number(((performance.now() - started) / 1000).toFixed(3)),
        });
      },
    };
  const migrator = new Migrator({
    db,
    provider: { getMigrations: async () => all },
    allowUnorderedMigrations: true,
    // Named, because Kysely otherwise looks for its migration tables in *every* schema
    // of the database: a store opened in a new schema beside another one then found
    // the other's tables, skipped creating its own, and failed.
    ...(schema ? { migrationTableSchema: schema } : {}),
  });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error');
    throw new BaseError('STORE_MIGRATION_FAILED', `migration ${failed?.migrationName ?? '?'} failed`, {
      cause: error,
    });
  }
}
