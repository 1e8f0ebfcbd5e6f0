/**
 * The inputs-digest worker: opens its own connection to the store and runs
 * `digestInputs`, so that at close the digest's query and hashing run on the
 * second core while the main thread collects, scores and writes the bundle.
 */
import { parentPort, workerData } from 'node:worker_threads';
import SqliteDatabase from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteDialect } from 'kysely';
import pg from 'pg';
import type { StoreSource } from '../store/db.ts';
import type { Database } from '../store/schema.ts';
import { digestInputs } from './digest.ts';

const { source, startMs, endMs } = workerData as { source: StoreSource; startMs: number; endMs: number };
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
            ...(source.schema ? { options: `-c search_path=${source.schema}` } : {}),
          }),
        }),
      });
try {
  parentPort!.postMessage({ ok: await digestInputs(db, startMs, endMs) });
} catch (err) {
  parentPort!.postMessage({ error: (err as Error).message });
} finally {
  await db.destroy();
}
