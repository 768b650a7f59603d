import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import knexModule, { type Knex } from 'knex';
import pg from 'pg';
import type { DatabaseConfig } from '../config.js';

export type Db = Knex;
export type Trx = Knex.Transaction;

// pg hands BIGINT (int8) columns back as strings; ours hold epoch milliseconds and counters well below 2^53.
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => Number(v));

/** Opens the configured database: better-sqlite3 (WAL, foreign keys, busy timeout) or a pg pool. */
export function createDb(config: DatabaseConfig, options: { poolMax?: number } = {}): Db {
  if (config.client === 'sqlite') {
    if (config.filename !== ':memory:') mkdirSync(dirname(config.filename), { recursive: true });
    return knexModule.knex({
      client: 'better-sqlite3',
      connection: { filename: config.filename },
      useNullAsDefault: true,
      pool: {
        min: 1,
        max: 1, // one connection: SQLite has one writer anyway, and transactions must not interleave
        afterCreate: (conn: { pragma: (s: string) => unknown }, done: (err: Error | null, conn: unknown) => void) => {
          // WAL lets the sqlite3 CLI and other processes read and write while we hold the file open;
          // busy_timeout makes a writer wait for the lock instead of failing at once.
          conn.pragma('journal_mode = WAL');
          conn.pragma('synchronous = NORMAL');
          conn.pragma('foreign_keys = ON');
          conn.pragma('busy_timeout = 5000');
          done(null, conn);
        },
      },
    });
  }
  return knexModule.knex({
    client: 'pg',
    connection: { connectionString: config.connectionString },
    pool: { min: 0, max: options.poolMax ?? 10 },
  });
}

export type Dialect = 'sqlite' | 'pg';

export function dialectOf(db: Knex): Dialect {
  const client = (db.client as { config: { client: string } }).config.client;
  return client === 'pg' || client === 'postgres' || client === 'postgresql' ? 'pg' : 'sqlite';
}

/** True when the error is a unique-constraint violation on either engine. */
export function isUniqueViolation(err: unknown): boolean {
  const e = err as { code?: string; message?: string };
  return e?.code === '23505' || e?.code === 'SQLITE_CONSTRAINT_UNIQUE' || e?.code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}
