import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { freshStore, TEST_PG_URL } from '../../test/helpers.ts';

describe.skipIf(!TEST_PG_URL)('PostgreSQL store', () => {
  it('opens in a new schema while another schema of the database already holds a store', async () => {
    // Kysely's migrator looked for its tables in every schema: the second store found
    // the first's, skipped creating its own, and failed with "kysely_migration_lock does not exist".
    const first = await freshStore('postgres');
    try {
      const second = await freshStore('postgres');
      try {
        const { rows } = await sql<{ n: string }>`select count(*) as n from kysely_migration`.execute(
          second.store.db,
        );
        expect(Number(rows[0]!.n)).toBeGreaterThan(0);
        const settings = await sql<{ jit: string }>`show jit`.execute(second.store.db);
        expect(settings.rows[0]!.jit).toBe('off');
      } finally {
        await second.cleanup();
      }
    } finally {
      await first.cleanup();
    }
  });
});
