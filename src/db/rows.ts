import {
  dialectOf,
  idleSqliteConnection,
  pgIdentifier as pq,
  pgPrepared,
  sqliteIdentifier as q,
  type Db,
} from './knex.js';

// Generic row access for the eight resource tables: each has an integer `id` (list order,
// keyset pagination) and a unique public `uuid`. Resource-specific SQL lives next to it.

export type Row = Record<string, unknown> & { id: number; uuid: string };

// The single-row reads and the insert of every request take a short cut on an idle SQLite
// connection (see idleSqliteConnection): the SQL knex generates, on a cached statement, except
// that the limit is a literal: SQLite runs `limit 1` twice as fast as knex's `limit ?` (16 against
// 37 µs for a klant by uuid, bench/RESULTS.md). On a
// PostgreSQL pool (not in a transaction) they run as named prepared statements (see pgPrepared).

export async function findByUuid(db: Db, table: string, uuid: string): Promise<Row | undefined> {
  const conn = idleSqliteConnection(db);
  if (conn) return conn.prepare(`select * from ${q(table)} where ${q('uuid')} = ? limit 1`).get(uuid) as Row;
  const pgRows = await pgPrepared(db, `select * from ${pq(table)} where "uuid" = $1 limit 1`, [uuid]);
  if (pgRows) return pgRows[0] as Row | undefined;
  return (await db(table).where({ uuid }).first()) as Row | undefined;
}

/**
 * The row as a write transaction sees it, locked until that transaction ends on PostgreSQL, so a
 * concurrent writer waits and then reads this writer's result (SQLite has one writer anyway).
 */
export async function findByUuidForUpdate(db: Db, table: string, uuid: string): Promise<Row | undefined> {
  const query = db(table).where({ uuid }).first();
  return (await (dialectOf(db) === 'pg' ? query.forUpdate() : query)) as Row | undefined;
}

export async function exists(db: Db, table: string, uuid: string): Promise<boolean> {
  const conn = idleSqliteConnection(db);
  if (conn)
    return conn.prepare(`select ${q('id')} from ${q(table)} where ${q('uuid')} = ? limit 1`).get(uuid) !== undefined;
  const pgRows = await pgPrepared(db, `select "id" from ${pq(table)} where "uuid" = $1 limit 1`, [uuid]);
  if (pgRows) return pgRows.length > 0;
  return (await db(table).where({ uuid }).first('id')) !== undefined;
}

export async function insert(db: Db, table: string, values: Record<string, unknown>): Promise<Row> {
  const conn = idleSqliteConnection(db);
  const bindings = conn && sqliteBindings(values);
  if (conn && bindings) {
    const columns = Object.keys(values);
    conn
      .prepare(`insert into ${q(table)} (${columns.map(q).join(', ')}) values (${columns.map(() => '?').join(', ')})`)
      .run(...bindings);
  } else {
    const pgValues = pgBindings(values);
    if (pgValues) {
      const columns = Object.keys(values);
      const pgRows = await pgPrepared(
        db,
        `insert into ${pq(table)} (${columns.map(pq).join(', ')}) values (${columns.map((_, i) => `$${i + 1}`).join(', ')}) returning *`,
        pgValues,
      );
      // returning * is the row as stored, BEFORE triggers applied (a klant's klantnummer): what the read would return.
      if (pgRows) return pgRows[0] as Row;
    }
    await db(table).insert(values);
  }
  return (await findByUuid(db, table, values['uuid'] as string))!;
}

/** The values as knex binds them on better-sqlite3; undefined when one needs knex (raw SQL, undefined). */
function sqliteBindings(values: Record<string, unknown>): unknown[] | undefined {
  const out: unknown[] = [];
  for (const v of Object.values(values)) {
    if (v === undefined || (typeof v === 'object' && v !== null && !(v instanceof Date))) return undefined;
    out.push(v instanceof Date ? v.valueOf() : typeof v === 'boolean' ? Number(v) : v);
  }
  return out;
}

/**
 * The values as knex binds them on pg; undefined when one needs knex (raw SQL, undefined, or an
 * object or array, which knex and pg serialize in ways of their own).
 */
function pgBindings(values: Record<string, unknown>): unknown[] | undefined {
  const out = Object.values(values);
  for (const v of out)
    if (v === undefined || (typeof v === 'object' && v !== null && !(v instanceof Date))) return undefined;
  return out;
}

/**
 * Rows of another table that hold a row (e.g. a klant's pending working copy): a guarded write
 * leaves a held row alone. Callers lock the row first (findByUuidForUpdate, in the same
 * transaction), so a hold taken under that lock is committed and seen by the guard in the write
 * statement itself (PostgreSQL re-evaluates no subquery after a row-lock wait; SQLite has one writer).
 */
export interface Hold {
  table: string;
  column: string;
}

function byUuid(db: Db, table: string, uuid: string, unlessHeldBy?: Hold) {
  const query = db(table).where({ uuid });
  if (unlessHeldBy)
    query.whereNotExists(db(unlessHeldBy.table).select(unlessHeldBy.column).where(unlessHeldBy.column, uuid));
  return query;
}

/** Updates the row unless it is held; undefined when nothing was updated (gone or held). */
export async function updateByUuid(
  db: Db,
  table: string,
  uuid: string,
  values: Record<string, unknown>,
  unlessHeldBy?: Hold,
): Promise<Row | undefined> {
  if ((await byUuid(db, table, uuid, unlessHeldBy).update(values)) === 0) return undefined;
  return findByUuid(db, table, uuid);
}

export async function deleteByUuid(db: Db, table: string, uuid: string, unlessHeldBy?: Hold): Promise<boolean> {
  return (await byUuid(db, table, uuid, unlessHeldBy).delete()) > 0;
}

/** True when a row of `hold.table` holds `uuid`. */
export async function isHeld(db: Db, hold: Hold, uuid: string): Promise<boolean> {
  return (await db(hold.table).where(hold.column, uuid).first(hold.column)) !== undefined;
}

/** Equality filters on columns; a list of values means "any of these". */
export type Filters = Record<string, string | string[]>;

/**
 * Yields every row matching the filters in id order, in batches of `batchSize` fetched by keyset
 * (`id > last`): memory stays flat however many rows there are, and no connection is held
 * between batches, so other requests keep being served while a long list streams out. (On
 * PostgreSQL all but the first batch stay on knex: as prepared statements they sent 1,000,000 rows
 * 13 % faster but peaked at 190 instead of 118 MB RSS.)
 */
export async function* streamRows(db: Db, table: string, filters: Filters = {}, batchSize = 500): AsyncGenerator<Row> {
  let after = 0;
  for (;;) {
    const rows =
      batchOnIdleSqlite(db, table, filters, after, batchSize) ??
      // Most lists are filtered and fit in their first batch (the DRC's check of one relation):
      // that one is a prepared statement; a long list's further batches stay on knex (see above).
      (after === 0 ? await firstBatchOnPg(db, table, filters, batchSize) : undefined) ??
      (await batchByKnex(db, table, filters, after, batchSize));
    for (const row of rows) yield row;
    if (rows.length < batchSize) return;
    after = rows[rows.length - 1]!.id;
  }
}

/** Rows matching the filters (equality, or "any of these" for a list). */
function filtered(db: Db, table: string, filters: Filters) {
  const query = db(table);
  for (const [column, value] of Object.entries(filters)) {
    if (Array.isArray(value)) query.whereIn(column, value);
    else query.where(column, value);
  }
  return query;
}

function batchByKnex(db: Db, table: string, filters: Filters, after: number, batchSize: number): Promise<Row[]> {
  return filtered(db, table, filters).where('id', '>', after).orderBy('id').limit(batchSize) as unknown as Promise<
    Row[]
  >;
}

/** batchByKnex's query on an idle SQLite connection; undefined when knex must run it. */
function batchOnIdleSqlite(
  db: Db,
  table: string,
  filters: Filters,
  after: number,
  batchSize: number,
): Row[] | undefined {
  const conn = idleSqliteConnection(db);
  if (!conn) return undefined;
  const params: unknown[] = [after];
  const conditions = filterConditions(filters, q, (v) => (params.push(v), '?'));
  if (!conditions) return undefined;
  const where = [`${q('id')} > ?`, ...conditions];
  // A literal limit, as in findByUuid: SQLite plans and runs it faster than a bound one.
  return conn
    .prepare(
      `select * from ${q(table)} where ${where.join(' and ')} order by ${q('id')} asc limit ${Math.trunc(batchSize)}`,
    )
    .all(...params) as Row[];
}

/**
 * The filters as SQL conditions (as `filtered` builds them with knex), `bind` adding each value and
 * answering its placeholder; undefined for an empty list, for which knex writes its own "matches nothing".
 */
function filterConditions(
  filters: Filters,
  quote: (column: string) => string,
  bind: (value: unknown) => string,
): string[] | undefined {
  const conditions: string[] = [];
  for (const [column, value] of Object.entries(filters)) {
    if (!Array.isArray(value)) conditions.push(`${quote(column)} = ${bind(value)}`);
    else if (value.length === 0) return undefined;
    else conditions.push(`${quote(column)} in (${value.map(bind).join(', ')})`);
  }
  return conditions;
}

/** batchByKnex's first batch as a prepared statement on a PostgreSQL pool; undefined when knex must run it. */
async function firstBatchOnPg(db: Db, table: string, filters: Filters, batchSize: number): Promise<Row[] | undefined> {
  if (db.isTransaction || dialectOf(db) !== 'pg') return undefined;
  const params: unknown[] = [];
  const where = filterConditions(filters, pq, (v) => `$${params.push(v)}`);
  if (!where) return undefined;
  const condition = where.length ? `where ${where.join(' and ')} ` : '';
  return (await pgPrepared(
    db,
    `select * from ${pq(table)} ${condition}order by "id" asc limit ${Math.trunc(batchSize)}`,
    params,
  )) as Row[] | undefined;
}

/** How many rows match the filters (for a paginated list's `count`). */
export async function countRows(db: Db, table: string, filters: Filters = {}): Promise<number> {
  const row = (await filtered(db, table, filters).count({ n: '*' }).first()) as { n: number | string } | undefined;
  return Number(row?.n ?? 0);
}

/** One page of the matching rows in id order (oldest or newest first; the (column, id) indexes serve both). */
export async function pageRows(
  db: Db,
  table: string,
  filters: Filters,
  offset: number,
  limit: number,
  order: 'asc' | 'desc' = 'asc',
): Promise<Row[]> {
  return (await filtered(db, table, filters).orderBy('id', order).offset(offset).limit(limit)) as Row[];
}
