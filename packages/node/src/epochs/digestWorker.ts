/**
 * The inputs-digest worker: keeps its own connection to the store and runs
 * `digestInputs` on request, so that at close the digest's query and hashing
 * run on the second core while the main thread collects, scores and writes
 * the bundle, and digests finished parts of the open epoch as the epoch goes
 * (`digestPartsAhead`). Messages: `{ ready: true }` once loaded; then
 * `{ id, startMs, endMs, finalMs? }` in, `{ id, ok | error }` out.
 */
import { parentPort, workerData } from 'node:worker_threads';
import SqliteDatabase from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteDialect } from 'kysely';
import pg from 'pg';
import { pgSessionOptions, type StoreSource } from '../store/db.ts';
import type { Database } from '../store/schema.ts';
import { digestInputs, digestPartsAhead } from './digest.ts';

const { source } = workerData as { source: StoreSource };

function openSqlite(path: string): SqliteDatabase.Database {
  const sqlite = new SqliteDatabase(path, { readonly: true });
  // The digest sorts every contribution of the window: let the sorter work in memory.
  sqlite.pragma('cache_size = -262144');
  sqlite.pragma('temp_store = MEMORY');
  return sqlite;
}

const db =
  'sqlitePath' in source
    ? new Kysely<Database>({ dialect: new SqliteDialect({ database: openSqlite(source.sqlitePath) }) })
    : new Kysely<Database>({
        dialect: new PostgresDialect({
          pool: new pg.Pool({
            connectionString: source.databaseUrl,
            max: 1,
            options: pgSessionOptions(source.schema),
          }),
        }),
      });

parentPort!.on('message', async (m: { id: number; startMs: number; endMs: number; finalMs?: number }) => {
  try {
    const ok =
      m.finalMs === undefined
        ? await digestInputs(db, m.startMs, m.endMs)
        : await digestPartsAhead(db, m.startMs, m.endMs, m.finalMs);
    parentPort!.postMessage({ id: m.id, ok });
  } catch (err) {
    parentPort!.postMessage({ id: m.id, error: (err as Error).message });
  }
});
parentPort!.postMessage({ ready: true });
