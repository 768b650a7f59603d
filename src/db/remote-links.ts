import { idleSqliteConnection, pgIdentifier, pgPrepared, type Db, type SqliteConnection } from './knex.js';
import * as rows from './rows.js';

// Each mirror delivery reads and writes a link: on an idle SQLite connection without knex (see
// idleSqliteConnection), with the SQL knex would generate but a literal limit (faster, see rows.ts).

/** Where a mirrored relation lives in another component (e.g. the DRC's objectinformatieobject URL). */
export async function find(db: Db, destination: string, aggregateId: string): Promise<string | undefined> {
  const conn = idleSqliteConnection(db);
  if (conn) {
    const row = conn
      .prepare('select `remote_url` from `remote_links` where `destination` = ? and `aggregate_id` = ? limit 1')
      .get(destination, aggregateId) as { remote_url: string } | undefined;
    return row?.remote_url;
  }
  const row = (await db('remote_links').where({ destination, aggregate_id: aggregateId }).first('remote_url')) as
    { remote_url: string } | undefined;
  return row?.remote_url;
}

/**
 * find, and whether the mirrored row (by uuid in `table`) still exists: what a delivery asks
 * first. One prepared statement on a PostgreSQL pool instead of two round trips.
 */
export async function findWithSource(
  db: Db,
  destination: string,
  aggregateId: string,
  table: string,
): Promise<{ remoteUrl: string | undefined; sourceExists: boolean }> {
  const pgRows = (await pgPrepared(
    db,
    `select (select "remote_url" from "remote_links" where "destination" = $1 and "aggregate_id" = $2 limit 1) as "remote_url", ` +
      `exists (select 1 from ${pgIdentifier(table)} where "uuid" = $3) as "source_exists"`,
    [destination, aggregateId, aggregateId],
  )) as { remote_url: string | null; source_exists: boolean }[] | undefined;
  if (pgRows) return { remoteUrl: pgRows[0]?.remote_url ?? undefined, sourceExists: pgRows[0]?.source_exists === true };
  const remoteUrl = await find(db, destination, aggregateId);
  return { remoteUrl, sourceExists: await rows.exists(db, table, aggregateId) };
}

export interface RemoteLink {
  destination: string;
  aggregateId: string;
  remoteUrl: string;
}

/** save's statement on a SQLite connection, e.g. inside a better-sqlite3 transaction. */
export function saveOnSqlite(conn: SqliteConnection, l: RemoteLink): void {
  conn
    .prepare(
      'insert into `remote_links` (`aggregate_id`, `created_at`, `destination`, `remote_url`) values (?, ?, ?, ?) ' +
        'on conflict (`destination`, `aggregate_id`) do update set `remote_url` = excluded.`remote_url`',
    )
    .run(l.aggregateId, Date.now(), l.destination, l.remoteUrl);
}

export async function save(db: Db, destination: string, aggregateId: string, remoteUrl: string): Promise<void> {
  const conn = idleSqliteConnection(db);
  if (conn) return saveOnSqlite(conn, { destination, aggregateId, remoteUrl });
  await db('remote_links')
    .insert({ destination, aggregate_id: aggregateId, remote_url: remoteUrl, created_at: Date.now() })
    .onConflict(['destination', 'aggregate_id'])
    .merge(['remote_url']);
}

export async function remove(db: Db, destination: string, aggregateId: string): Promise<void> {
  const conn = idleSqliteConnection(db);
  if (conn) {
    conn
      .prepare('delete from `remote_links` where `destination` = ? and `aggregate_id` = ?')
      .run(destination, aggregateId);
    return;
  }
  await db('remote_links').where({ destination, aggregate_id: aggregateId }).delete();
}
