import { createHash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { createRequire } from 'node:module';
import knexModule, { type Knex } from 'knex';
import type pg from 'pg';
import type { DatabaseConfig } from '../config.js';

export type Db = Knex;
export type Trx = Knex.Transaction;

/** The pg driver, loaded when a PostgreSQL database is opened (on SQLite it would only cost start-up time). */
function pgDriver(): typeof pg {
  const driver = createRequire(import.meta.url)('pg') as typeof pg;
  // pg hands BIGINT (int8) columns back as strings; ours hold epoch milliseconds and counters well below 2^53.
  driver.types.setTypeParser(driver.types.builtins.INT8, (v) => Number(v));
  return driver;
}

/** Opens the configured database: better-sqlite3 (WAL, foreign keys, busy timeout) or a pg pool. */
export function createDb(config: DatabaseConfig, options: { poolMax?: number } = {}): Db {
  if (config.client === 'sqlite') {
    if (config.filename !== ':memory:') mkdirSync(dirname(config.filename), { recursive: true });
    const holder: { conn?: SqliteConnection } = {};
    const db = knexModule.knex({
      client: 'better-sqlite3',
      connection: { filename: config.filename },
      useNullAsDefault: true,
      pool: {
        min: 1,
        max: 1, // one connection: SQLite has one writer anyway, and transactions must not interleave
        afterCreate: (conn: SqliteConnection, done: (err: Error | null, conn: unknown) => void) => {
          // WAL lets the sqlite3 CLI and other processes read and write while we hold the file open;
          // busy_timeout makes a writer wait for the lock instead of failing at once.
          conn.pragma('journal_mode = WAL');
          conn.pragma('synchronous = NORMAL');
          conn.pragma('foreign_keys = ON');
          conn.pragma('busy_timeout = 5000');
          cacheStatements(conn);
          holder.conn = conn;
          done(null, conn);
        },
      },
    });
    sqliteConnections.set(db, holder);
    return db;
  }
  pgDriver();
  return knexModule.knex({
    client: 'pg',
    connection: { connectionString: config.connectionString },
    pool: { min: 0, max: options.poolMax ?? 10 },
  });
}

export interface SqliteConnection {
  readonly open: boolean;
  /** better-sqlite3's synchronous transaction wrapper (call `.immediate` to take the write lock first). */
  transaction<A extends unknown[], R>(fn: (...args: A) => R): ((...args: A) => R) & { immediate: (...args: A) => R };
  pragma(s: string): unknown;
  prepare(sql: string): SqliteStatement;
}
export interface SqliteStatement {
  readonly reader: boolean;
  readonly busy: boolean;
  get(...params: unknown[]): unknown;
  all(...params: unknown[]): unknown[];
  run(...params: unknown[]): { changes: number };
}

/** The one connection of each SQLite Db (not of its transactions). */
const sqliteConnections = new WeakMap<Db, { conn?: SqliteConnection }>();

interface PoolState {
  numUsed(): number;
  numPendingAcquires(): number;
  numPendingCreates(): number;
}

/**
 * The SQLite connection of `db` when nothing holds it right now (no query running, no open
 * transaction, nobody waiting for it), else undefined. A statement run on it synchronously then
 * is exactly what knex would run after acquiring it, without the query builder, the pool's
 * promises and four ticks per query (~60 % of a single-row read). Never for PostgreSQL or a
 * transaction: callers fall back to knex.
 */
export function idleSqliteConnection(db: Db): SqliteConnection | undefined {
  const conn = sqliteConnections.get(db)?.conn;
  if (!conn?.open) return undefined;
  const pool = (db.client as { pool?: PoolState }).pool;
  if (!pool || pool.numUsed() > 0 || pool.numPendingAcquires() > 0 || pool.numPendingCreates() > 0) return undefined;
  return conn;
}

interface PgConnection {
  query(config: { name?: string; text: string; values: unknown[] }): Promise<{ rows: unknown[] }>;
}
interface KnexClient {
  acquireConnection(): Promise<PgConnection>;
  releaseConnection(conn: PgConnection): Promise<unknown>;
}

/**
 * Statement names by SQL text. A name is a hash of its text, so it is the same on every connection
 * and in every copy of this module (pg refuses one name for two texts on a connection: numbered
 * names clashed when a second module instance numbered its own texts on the same pool).
 */
const pgStatementNames = new Map<string, string>();
/** Each connection keeps every statement it prepared: past this many texts, further ones run unnamed. */
const PG_STATEMENTS_MAX = 200;

/**
 * Runs `text` ($1, $2 … placeholders) as a named prepared statement on a connection of `db`'s pg
 * pool, acquired and released as knex does for any query; undefined when `db` is not a pg pool
 * (SQLite, or a transaction: its queries must go through it, so callers use knex then). Each
 * connection parses and plans a statement once and then only binds and executes it, where knex
 * sends an unnamed statement that PostgreSQL parses and plans anew each time, and the query
 * builder and runner cost as much again in our process (together ~40 % of a single-row read).
 * With `planEachTime` it runs unnamed (still without knex): for a statement whose best plan
 * depends on how large a table is now, PostgreSQL switches a named one to a generic plan after
 * five runs and keeps it, e.g. a join planned as a full scan while the table was small.
 */
export async function pgPrepared(
  db: Db,
  text: string,
  values: unknown[],
  options: { planEachTime?: boolean } = {},
): Promise<unknown[] | undefined> {
  if (db.isTransaction || dialectOf(db) !== 'pg') return undefined;
  const name = options.planEachTime ? undefined : statementName(text);
  const client = db.client as KnexClient;
  const conn = await client.acquireConnection();
  try {
    return (await conn.query(name ? { name, text, values } : { text, values })).rows;
  } finally {
    await client.releaseConnection(conn);
  }
}

/** The name `text` is prepared under; undefined (run unnamed) once PG_STATEMENTS_MAX texts have names. */
function statementName(text: string): string | undefined {
  let name = pgStatementNames.get(text);
  if (!name && pgStatementNames.size < PG_STATEMENTS_MAX) {
    name = `kic_${createHash('sha256').update(text).digest('base64url').slice(0, 24)}`;
    pgStatementNames.set(text, name);
  }
  return name;
}

/** An identifier quoted as knex quotes it on PostgreSQL. */
export const pgIdentifier = (name: string) => `"${name.replace(/"/g, '""')}"`;

/** An identifier quoted as knex quotes it on SQLite. */
export const sqliteIdentifier = (name: string) => `\`${name.replace(/`/g, '``')}\``;

const STATEMENT_CACHE_SIZE = 200;

/**
 * knex prepares every query anew on better-sqlite3 (a prepare costs as much as running a
 * single-row select). The connection remembers its most recent statements by SQL text instead.
 * Reuse is safe: knex runs one query at a time on this single connection and better-sqlite3
 * runs each to completion synchronously; a statement still iterating (busy) is never handed out;
 * SQLite re-prepares a statement by itself when the schema changes under it. DDL is not kept.
 */
function cacheStatements(conn: SqliteConnection): void {
  const prepare = conn.prepare.bind(conn);
  const cache = new Map<string, SqliteStatement>();
  conn.prepare = (sql: string) => {
    // knex opens every transaction with a deferred BEGIN. All of ours write, and a deferred one
    // that reads first fails at once with SQLITE_BUSY (no busy_timeout wait) when another process
    // (kic worker beside kic serve, the sqlite3 shell, an import) commits between its read and
    // its first write. BEGIN IMMEDIATE takes the write lock up front, waiting on busy_timeout.
    if (sql === 'BEGIN;') sql = 'BEGIN IMMEDIATE;';
    const hit = cache.get(sql);
    if (hit && !hit.busy) {
      // Map order is insertion order: move the hit to the end so the oldest unused goes first.
      cache.delete(sql);
      cache.set(sql, hit);
      return hit;
    }
    const statement = prepare(sql);
    if (/^\s*(select|insert|update|delete|with)\b/i.test(sql)) {
      cache.set(sql, statement);
      if (cache.size > STATEMENT_CACHE_SIZE) cache.delete(cache.keys().next().value!);
    }
    return statement;
  };
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
