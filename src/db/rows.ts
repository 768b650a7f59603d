import { dialectOf, type Db } from './knex.js';

// Generic row access for the eight resource tables: each has an integer `id` (list order,
// keyset pagination) and a unique public `uuid`. Resource-specific SQL lives next to it.

export type Row = Record<string, unknown> & { id: number; uuid: string };

export async function findByUuid(db: Db, table: string, uuid: string): Promise<Row | undefined> {
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
  return (await db(table).where({ uuid }).first('id')) !== undefined;
}

export async function insert(db: Db, table: string, values: Record<string, unknown>): Promise<Row> {
  await db(table).insert(values);
  return (await findByUuid(db, table, values['uuid'] as string))!;
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
 * between batches, so other requests keep being served while a long list streams out.
 */
export async function* streamRows(db: Db, table: string, filters: Filters = {}, batchSize = 500): AsyncGenerator<Row> {
  let after = 0;
  for (;;) {
    const query = db(table).where('id', '>', after).orderBy('id').limit(batchSize);
    for (const [column, value] of Object.entries(filters)) {
      if (Array.isArray(value)) query.whereIn(column, value);
      else query.where(column, value);
    }
    const rows = (await query) as Row[];
    for (const row of rows) yield row;
    if (rows.length < batchSize) return;
    after = rows[rows.length - 1]!.id;
  }
}

function filtered(db: Db, table: string, filters: Filters) {
  const query = db(table);
  for (const [column, value] of Object.entries(filters)) {
    if (Array.isArray(value)) query.whereIn(column, value);
    else query.where(column, value);
  }
  return query;
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
