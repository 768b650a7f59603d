import { idleSqliteConnection, sqliteIdentifier as q, type Db } from './knex.js';

// Generic row access for the eight resource tables: each has an integer `id` (list order,
// keyset pagination) and a unique public `uuid`. Resource-specific SQL lives next to it.

export type Row = Record<string, unknown> & { id: number; uuid: string };

// The single-row reads and the insert of every request take a short cut on an idle SQLite
// connection (see idleSqliteConnection): the same SQL knex generates, on a cached statement.

export async function findByUuid(db: Db, table: string, uuid: string): Promise<Row | undefined> {
  const conn = idleSqliteConnection(db);
  if (conn) return conn.prepare(`select * from ${q(table)} where ${q('uuid')} = ? limit ?`).get(uuid, 1) as Row;
  return (await db(table).where({ uuid }).first()) as Row | undefined;
}

export async function exists(db: Db, table: string, uuid: string): Promise<boolean> {
  const conn = idleSqliteConnection(db);
  if (conn)
    return conn.prepare(`select ${q('id')} from ${q(table)} where ${q('uuid')} = ? limit ?`).get(uuid, 1) !== undefined;
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

export async function updateByUuid(
  db: Db,
  table: string,
  uuid: string,
  values: Record<string, unknown>,
): Promise<Row | undefined> {
  await db(table).where({ uuid }).update(values);
  return findByUuid(db, table, uuid);
}

export async function deleteByUuid(db: Db, table: string, uuid: string): Promise<boolean> {
  return (await db(table).where({ uuid }).delete()) > 0;
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
    const rows =
      batchOnIdleSqlite(db, table, filters, after, batchSize) ??
      (await batchByKnex(db, table, filters, after, batchSize));
    for (const row of rows) yield row;
    if (rows.length < batchSize) return;
    after = rows[rows.length - 1]!.id;
  }
}

function batchByKnex(db: Db, table: string, filters: Filters, after: number, batchSize: number): Promise<Row[]> {
  const query = db(table).where('id', '>', after).orderBy('id').limit(batchSize);
  for (const [column, value] of Object.entries(filters)) {
    if (Array.isArray(value)) query.whereIn(column, value);
    else query.where(column, value);
  }
  return query as unknown as Promise<Row[]>;
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
  const where = [`${q('id')} > ?`];
  const params: unknown[] = [after];
  for (const [column, value] of Object.entries(filters)) {
    if (Array.isArray(value)) {
      if (value.length === 0) return undefined; // knex writes its own "matches nothing"
      where.push(`${q(column)} in (${value.map(() => '?').join(', ')})`);
      params.push(...value);
    } else {
      where.push(`${q(column)} = ?`);
      params.push(value);
    }
  }
  return conn
    .prepare(`select * from ${q(table)} where ${where.join(' and ')} order by ${q('id')} asc limit ?`)
    .all(...params, batchSize) as Row[];
}
