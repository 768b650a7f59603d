import type { Db } from './knex.js';

// Generic row access for the eight resource tables: each has an integer `id` (list order,
// keyset pagination) and a unique public `uuid`. Resource-specific SQL lives next to it.

export type Row = Record<string, unknown> & { id: number; uuid: string };

export async function findByUuid(db: Db, table: string, uuid: string): Promise<Row | undefined> {
  return (await db(table).where({ uuid }).first()) as Row | undefined;
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
 * leaves a held row alone. The row is locked first (PostgreSQL; SQLite has one writer), so a hold
 * being taken under that lock is committed and seen by the guard in the write statement itself.
 */
export interface Hold {
  table: string;
  column: string;
}

const notHeld = (db: Db, hold: Hold, uuid: string) => db(hold.table).select(hold.column).where(hold.column, uuid);

export async function updateByUuid(
  db: Db,
  table: string,
  uuid: string,
  values: Record<string, unknown>,
  unlessHeldBy?: Hold,
): Promise<Row | undefined> {
  if (!unlessHeldBy) {
    if ((await db(table).where({ uuid }).update(values)) === 0) return undefined;
    return findByUuid(db, table, uuid);
  }
  return db.transaction(async (trx) => {
    await trx(table).where({ uuid }).forUpdate().first('id');
    const n = await trx(table)
      .where({ uuid })
      .whereNotExists(notHeld(trx, unlessHeldBy, uuid))
      .update(values);
    return n === 0 ? undefined : findByUuid(trx, table, uuid);
  });
}

export async function deleteByUuid(db: Db, table: string, uuid: string, unlessHeldBy?: Hold): Promise<boolean> {
  if (!unlessHeldBy) return (await db(table).where({ uuid }).delete()) > 0;
  return db.transaction(async (trx) => {
    await trx(table).where({ uuid }).forUpdate().first('id');
    return (
      (await trx(table)
        .where({ uuid })
        .whereNotExists(notHeld(trx, unlessHeldBy, uuid))
        .delete()) > 0
    );
  });
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
