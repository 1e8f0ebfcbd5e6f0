import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { Kysely, type Migration, Migrator, SqliteDialect } from 'kysely';
import { BaseError } from '../internal/errors.ts';
import type { GroundworkModule } from '../modules/types.ts';
import { coreMigrations } from './migrations.ts';
import type { Database } from './schema.ts';

export type Db = Kysely<Database>;

export interface Store {
  db: Db;
  dialect: 'sqlite';
  close(): Promise<void>;
}

/**
 * Opens the embedded store: SQLite in WAL mode with `synchronous=FULL`, so a
 * committed transaction survives `kill -9` and power loss alike. Runs pending
 * migrations before returning.
 */
export async function openSqliteStore(
  path: string,
  modules: readonly GroundworkModule[] = [],
): Promise<Store> {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const sqlite = new SqliteDatabase(path);
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = FULL');
  sqlite.pragma('busy_timeout = 5000');
  sqlite.pragma('foreign_keys = ON');
  // bigint columns hold ms timestamps and seqs below 2^53: plain numbers are exact.
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: sqlite }) });
  await migrate(db, modules);
  return {
    db,
    dialect: 'sqlite',
    async close() {
      await db.destroy();
    },
  };
}

/** Core migrations, then each module's, prefixed `<module>/` (a module added later migrates then). */
async function migrate(db: Db, modules: readonly GroundworkModule[]): Promise<void> {
  const all: Record<string, Migration> = { ...coreMigrations };
  for (const m of modules)
    for (const [name, mig] of Object.entries(m.migrations ?? {})) all[`${m.id}/${name}`] = mig;
  const migrator = new Migrator({
    db,
    provider: { getMigrations: async () => all },
    allowUnorderedMigrations: true,
  });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error');
    throw new BaseError('STORE_MIGRATION_FAILED', `migration ${failed?.migrationName ?? '?'} failed`, {
      cause: error,
    });
  }
}
