import type SqliteDatabase from 'better-sqlite3';

/**
 * Inserts rows on SQLite through two cached statements: one of
 * `rowsPerStatement` rows with bound values, and one of a single row for the
 * rest. In-process SQLite has no round trip to save, but a statement of many
 * rows costs one call, one VDBE run and (with an autoincrement key) one
 * `sqlite_sequence` update for all of them — less than a statement per row,
 * and less than one JSON value expanded by `json_each`, which SQLite must
 * parse. Callers run it inside a transaction of the store's Kysely instance,
 * which holds the one connection, so the rows commit or roll back with it.
 * Used by ingest's commit (envelopes) and the reward-line index.
 */
export class SqliteRowInserter {
  readonly #columns: number;
  readonly #rows: number;
  readonly #many: SqliteDatabase.Statement<unknown[]>;
  readonly #one: SqliteDatabase.Statement<unknown[]>;
  readonly #manyArgs: unknown[];
  readonly #oneArgs: unknown[];

  /** `head`: `INSERT INTO t (a, b, …) VALUES ` with `columns` columns. */
  constructor(handle: SqliteDatabase.Database, head: string, columns: number, rowsPerStatement: number) {
    this.#columns = columns;
    this.#rows = rowsPerStatement;
    const values = `(${new Array(columns).fill('?').join(', ')})`;
    this.#many = handle.prepare(head + new Array(rowsPerStatement).fill(values).join(', '));
    this.#one = handle.prepare(head + values);
    this.#manyArgs = new Array(columns * rowsPerStatement);
    this.#oneArgs = new Array(columns);
  }

  /**
   * Inserts rows `from` to `to` (exclusive), in that order: `fill` writes row
   * `row`'s values into `args` from index `at` on, one per column.
   */
  insert(from: number, to: number, fill: (args: unknown[], at: number, row: number) => void): void {
    const n = this.#columns;
    const args = this.#manyArgs;
    let i = from;
    for (; i + this.#rows <= to; i += this.#rows) {
      for (let k = 0; k < this.#rows; k++) fill(args, n * k, i + k);
      this.#many.run(args);
    }
    for (; i < to; i++) {
      fill(this.#oneArgs, 0, i);
      this.#one.run(this.#oneArgs);
    }
  }
}
