import type { Db, SqliteConnection } from './knex.js';
import { dialectOf, idleSqliteConnection, pgPrepared } from './knex.js';
import * as links from './remote-links.js';

export interface OutboxRow {
  id: number;
  destination: string;
  event: string;
  aggregate_id: string;
  payload: string;
  state: 'pending' | 'done' | 'failed';
  attempts: number;
  available_at: number;
  locked_by: string | null;
  locked_until: number | null;
  last_error: string | null;
  result: string | null;
  created_at: number;
  done_at: number | null;
}

const TABLE = 'outbox';

/**
 * Claims up to `limit` due rows for `ticket`, oldest first, at most one in flight per aggregate
 * (a create is always settled before the delete of the same relation). The claim is a lease:
 * a worker that dies leaves rows that others take over once `locked_until` has passed. On
 * PostgreSQL concurrent workers skip each other's rows (FOR UPDATE SKIP LOCKED); SQLite has one
 * writer at a time anyway.
 */
export async function claimBatch(
  db: Db,
  o: {
    ticket: string;
    now: number;
    leaseMs: number;
    limit: number;
    /** Only rows of these destinations (probes of paused ones). */
    destinations?: readonly string[];
    /** Only these rows (those a client waits for). */
    ids?: readonly number[];
    /** No rows of these destinations (paused ones). */
    skipDestinations?: readonly string[];
  },
): Promise<OutboxRow[]> {
  const pg = dialectOf(db) === 'pg';
  // An older pending row of the same aggregate holds the row back.
  const olderPending = (q: Db) =>
    q(`${TABLE} as older`)
      .select('older.id')
      .whereRaw('older.aggregate_id = o.aggregate_id')
      .andWhere('older.state', 'pending')
      .andWhereRaw('older.id < o.id');
  const due = (q: Db) =>
    q
      // SQLite would otherwise walk every due row (the state/available_at index), testing each
      // for an older pending sibling, and sort them: O(backlog) per claim. The partial index of
      // pending rows in id order lets it stop after `limit`.
      .from(pg ? `${TABLE} as o` : q.raw('?? as ?? indexed by ??', [TABLE, 'o', 'outbox_pending_idx']))
      .select('o.id')
      // A literal, not a parameter: only then may SQLite use the partial index (state = 'pending').
      .whereRaw(`o.state = 'pending'`)
      .modify((w) => {
        if (o.destinations) w.whereIn('o.destination', o.destinations);
        if (o.ids) w.whereIn('o.id', o.ids);
        if (o.skipDestinations?.length) w.whereNotIn('o.destination', o.skipDestinations);
      })
      .andWhere('o.available_at', '<=', o.now)
      .andWhere((w) => w.whereNull('o.locked_until').orWhere('o.locked_until', '<', o.now))
      .modify((w) => {
        // PostgreSQL turns a NOT EXISTS into an anti-join over every pending row (a hash join:
        // 6 ms per claim at 10,000; a nested loop when its statistics say "few": O(backlog²)).
        // A scalar subquery stays a per-row index probe on (aggregate_id, id), made only for the
        // rows the partial index of pending rows yields until `limit` are found: 0.08 ms.
        if (pg) w.whereRaw('(?) is null', [olderPending(q).limit(1)]);
        else w.whereNotExists(olderPending(q));
      })
      .orderBy('o.id')
      .limit(o.limit);
  const lease = (q: Db) => ({ locked_by: o.ticket, locked_until: o.now + o.leaseMs, attempts: q.raw('attempts + 1') });

  // One UPDATE of the due rows, returning them (RETURNING, in no particular order). On SQLite it
  // takes the write lock from the start (waiting on busy_timeout), where a read followed by a
  // write in one transaction could fail with SQLITE_BUSY when another process (kic serve beside
  // kic worker, the sqlite3 shell) writes in between. On PostgreSQL concurrent workers skip
  // each other's rows (FOR UPDATE SKIP LOCKED).
  const update = (q: Db) =>
    q(TABLE)
      .whereIn('id', pg ? due(q).forUpdate().skipLocked() : due(q))
      .update(lease(q), '*') as unknown as Promise<OutboxRow[]>;
  const claimed = pg
    ? await db.transaction(async (trx) => {
        // The walk must follow the partial index in id order, stopping after `limit`. When the
        // statistics are older than a backlog (they say "few pending rows") PostgreSQL would
        // rather fetch every pending row, probe each for an older sibling, and sort: 40 ms per
        // claim at 10,000 pending instead of well under 1.
        await trx.raw('SET LOCAL enable_sort = off');
        return update(trx);
      })
    : await update(db);
  return claimed.sort((a, b) => a.id - b.id);
}

/**
 * Extends this ticket's lease on one row before it is delivered, so that a long batch does not
 * outlive the lease of its last rows. False when another worker has taken the row over meanwhile
 * (or it was settled): then this worker must leave it alone.
 */
export async function renew(db: Db, id: number, ticket: string, until: number): Promise<boolean> {
  const n = await db(TABLE).where({ id, locked_by: ticket, state: 'pending' }).update({ locked_until: until });
  return n === 1;
}

/** Marks a delivered row done, unless another worker has taken it over meanwhile. */
export async function markDone(
  db: Db,
  id: number,
  ticket: string,
  now: number,
  result: string | null = null,
): Promise<boolean> {
  const n = await db(TABLE)
    .where({ id, locked_by: ticket })
    .update({ state: 'done', locked_by: null, locked_until: null, last_error: null, result, done_at: now });
  return n === 1;
}

/** How one delivered (or skipped) row ends; see settle. */
export type Settlement =
  | {
      id: number;
      ticket: string;
      outcome: 'done';
      now: number;
      result: string | null;
      /** Where the delivered aggregate now lives (remote_links), saved in the same transaction. */
      link?: links.RemoteLink;
    }
  | {
      id: number;
      ticket: string;
      outcome: 'failed';
      error: string;
      permanent: boolean;
      retryAt: number;
      result: string | null;
    }
  /** Claimed but not attempted (its destination was paused meanwhile): as if never claimed. */
  | { id: number; ticket: string; outcome: 'released' };

/**
 * Settles several rows in one transaction: one commit instead of one per row (on PostgreSQL one
 * WAL flush, on SQLite one write lock). Each row is settled only if its ticket still holds it,
 * as markDone/markFailed do; returns for each whether it was.
 */
export async function settle(db: Db, settlements: readonly Settlement[]): Promise<boolean[]> {
  // On an idle SQLite connection: one synchronous better-sqlite3 transaction, without knex.
  const conn = idleSqliteConnection(db);
  if (conn) return conn.transaction(() => settlements.map((s) => settleOnSqlite(conn, s))).immediate();
  // Deliveries that succeeded (nearly all of them) in one statement on a PostgreSQL pool.
  const done = settlements.filter((s): s is DoneSettlement => s.outcome === 'done');
  const settledDone = done.length ? await settleDoneOnPg(db, done) : undefined;
  const rest = settledDone ? settlements.filter((s) => s.outcome !== 'done') : settlements;
  const settledRest = new Map<Settlement, boolean>();
  if (rest.length === 1) settledRest.set(rest[0]!, await settleOne(db, rest[0]!));
  else if (rest.length > 1)
    await db.transaction(async (trx) => {
      for (const s of rest) settledRest.set(s, await settleOne(trx, s));
    });
  return settlements.map((s) => (settledDone && s.outcome === 'done' ? settledDone.has(s.id) : settledRest.get(s)!));
}

type DoneSettlement = Extract<Settlement, { outcome: 'done' }>;

// settleOne of many done rows as one statement, its arrays bound as parameters (one text for any
// batch size): the links are saved whoever holds the row now, as in settleOne; the rows this
// ticket still holds are marked done and returned.
const SETTLE_DONE_PG = `with "saved" as (
  insert into "remote_links" ("destination", "aggregate_id", "remote_url", "created_at")
  select "l"."destination", "l"."aggregate_id", "l"."remote_url", $8::bigint
  from unnest($5::text[], $6::text[], $7::text[]) as "l"("destination", "aggregate_id", "remote_url")
  on conflict ("destination", "aggregate_id") do update set "remote_url" = excluded."remote_url"
)
update "outbox" as "o" set "state" = 'done', "locked_by" = null, "locked_until" = null, "last_error" = null,
  "result" = "s"."result", "done_at" = "s"."done_at"
from unnest($1::bigint[], $2::text[], $3::text[], $4::bigint[]) as "s"("id", "ticket", "result", "done_at")
where "o"."id" = "s"."id" and "o"."locked_by" = "s"."ticket"
returning "o"."id"`;

/**
 * Settles done rows and saves their links in one statement (atomic by itself) on a PostgreSQL
 * pool: one round trip and one commit, where settleOne in a transaction takes two round trips per
 * row and two more. Returns the ids it settled; undefined when `db` is not a pg pool.
 */
async function settleDoneOnPg(db: Db, done: readonly DoneSettlement[]): Promise<Set<number> | undefined> {
  // One link per remote key: PostgreSQL refuses to update a row twice in one statement.
  const byKey = new Map<string, links.RemoteLink>();
  for (const s of done) if (s.link) byKey.set(`${s.link.destination}\n${s.link.aggregateId}`, s.link);
  const saved = [...byKey.values()];
  // Planned each time: a generic plan made while the outbox was small joins by a full scan (1.4 ms
  // per settle at 20,000 rows, instead of 0.1 ms by its primary key).
  const rows = (await pgPrepared(
    db,
    SETTLE_DONE_PG,
    [
      done.map((s) => s.id),
      done.map((s) => s.ticket),
      done.map((s) => s.result),
      done.map((s) => s.now),
      saved.map((l) => l.destination),
      saved.map((l) => l.aggregateId),
      saved.map((l) => l.remoteUrl),
      Date.now(),
    ],
    { planEachTime: true },
  )) as { id: number }[] | undefined;
  return rows && new Set(rows.map((r) => r.id));
}

/** settleOne's three updates, as knex writes them for SQLite. */
function settleOnSqlite(conn: SqliteConnection, s: Settlement): boolean {
  const run = (sql: string, ...params: unknown[]) => conn.prepare(sql).run(...params).changes === 1;
  if (s.outcome === 'done') {
    // The remote object exists whoever holds the row now: remembering it spares a second POST.
    if (s.link) links.saveOnSqlite(conn, s.link);
    return run(
      'update `outbox` set `state` = ?, `locked_by` = ?, `locked_until` = ?, `last_error` = ?, `result` = ?, `done_at` = ? ' +
        'where `id` = ? and `locked_by` = ?',
      'done',
      null,
      null,
      null,
      s.result,
      s.now,
      s.id,
      s.ticket,
    );
  }
  if (s.outcome === 'failed') {
    return run(
      'update `outbox` set `state` = ?, `available_at` = ?, `last_error` = ?, `result` = ?, `locked_by` = ?, `locked_until` = ? ' +
        'where `id` = ? and `locked_by` = ?',
      s.permanent ? 'failed' : 'pending',
      s.retryAt,
      s.error.slice(0, 2000),
      s.result ?? null,
      null,
      null,
      s.id,
      s.ticket,
    );
  }
  return run(
    'update `outbox` set `locked_by` = ?, `locked_until` = ?, `attempts` = attempts - 1 ' +
      'where `id` = ? and `locked_by` = ? and `state` = ?',
    null,
    null,
    s.id,
    s.ticket,
    'pending',
  );
}

async function settleOne(db: Db, s: Settlement): Promise<boolean> {
  if (s.outcome === 'done') {
    if (s.link) await links.save(db, s.link.destination, s.link.aggregateId, s.link.remoteUrl);
    return markDone(db, s.id, s.ticket, s.now, s.result);
  }
  if (s.outcome === 'failed') return markFailed(db, s.id, s.ticket, s);
  const n = await db(TABLE)
    .where({ id: s.id, locked_by: s.ticket, state: 'pending' })
    .update({ locked_by: null, locked_until: null, attempts: db.raw('attempts - 1') });
  return n === 1;
}

/**
 * Records a failed attempt. A transient failure goes back to pending for `retryAt`; a permanent
 * one (the remote side refused) becomes `failed` and stays listed until a person retries it.
 */
export async function markFailed(
  db: Db,
  id: number,
  ticket: string,
  f: { error: string; permanent: boolean; retryAt: number; result?: string | null },
): Promise<boolean> {
  const n = await db(TABLE)
    .where({ id, locked_by: ticket })
    .update({
      state: f.permanent ? 'failed' : 'pending',
      available_at: f.retryAt,
      last_error: f.error.slice(0, 2000),
      result: f.result ?? null,
      locked_by: null,
      locked_until: null,
    });
  return n === 1;
}

export async function find(db: Db, id: number): Promise<OutboxRow | undefined> {
  return (await db(TABLE).where({ id }).first()) as OutboxRow | undefined;
}

/** The newest event queued for an aggregate (e.g. the create just written by the trigger). */
export async function latestFor(db: Db, destination: string, aggregateId: string): Promise<OutboxRow | undefined> {
  return (await db(TABLE).where({ destination, aggregate_id: aggregateId }).orderBy('id', 'desc').first()) as
    OutboxRow | undefined;
}

/**
 * When the next pending row that is not due yet becomes due (a retry after its backoff), or
 * undefined when none waits: rows due already are the claim's business (or wait behind an older
 * row of their aggregate). One step into the (state, available_at) index.
 */
export async function nextRetryAt(db: Db, now: number): Promise<number | undefined> {
  const row = (await db(TABLE)
    .where('state', 'pending')
    .andWhere('available_at', '>', now)
    .min({ next: 'available_at' })
    .first()) as { next: number | string | null } | undefined;
  return row?.next === null || row?.next === undefined ? undefined : Number(row.next);
}

/** Rows that are not done: pending (due or waiting for a retry) and failed. */
export async function listOpen(db: Db, limit = 1000): Promise<OutboxRow[]> {
  return (await db(TABLE).whereIn('state', ['pending', 'failed']).orderBy('id').limit(limit)) as OutboxRow[];
}

export async function summary(
  db: Db,
): Promise<{ pending: number; failed: number; oldestOpenCreatedAt: number | null }> {
  const rows = (await db(TABLE)
    .select('state')
    .count({ n: '*' })
    .min({ oldest: 'created_at' })
    .whereIn('state', ['pending', 'failed'])
    .groupBy('state')) as {
    state: string;
    n: number | string;
    oldest: number | string | null;
  }[];
  const get = (s: string) => Number(rows.find((r) => r.state === s)?.n ?? 0);
  const oldest = rows.map((r) => Number(r.oldest)).filter((n) => Number.isFinite(n) && n > 0);
  return {
    pending: get('pending'),
    failed: get('failed'),
    oldestOpenCreatedAt: oldest.length ? Math.min(...oldest) : null,
  };
}

/**
 * Makes failed or waiting rows due now (all when `id` is undefined). Returns how many. A row a
 * worker is delivering right now (a live lease) is left alone: clearing its lease would let a
 * second worker deliver it at the same time.
 */
export async function retryNow(db: Db, now: number, id?: number): Promise<number> {
  const q = db(TABLE)
    .whereIn('state', ['pending', 'failed'])
    .andWhere((w) => w.whereNull('locked_until').orWhere('locked_until', '<', now));
  if (id !== undefined) q.andWhere({ id });
  const n = await q.update({ state: 'pending', available_at: now, locked_by: null, locked_until: null });
  if (n > 0) await wakeWorkers(db);
  return n;
}

/**
 * Tells every worker listening on this PostgreSQL database that rows are due now (at commit, in a
 * transaction), as the relation trigger does; without it a retry or a reconciliation waited for
 * the next poll. On SQLite a separate kic worker sees the commit itself (its WAL watch); the
 * worker inside kic serve polls.
 */
export async function wakeWorkers(db: Db): Promise<void> {
  if (dialectOf(db) === 'pg') await db.raw(`select pg_notify('kic_outbox', 'due')`);
}

/**
 * Settles failed rows of an aggregate older than `beforeId` once a later event has made them
 * moot (a refused create whose relation has since been deleted needs nobody any more).
 */
export async function supersedeFailed(
  db: Db,
  destination: string,
  aggregateId: string,
  beforeId: number,
  now: number,
): Promise<number> {
  return db(TABLE)
    .where({ destination, aggregate_id: aggregateId, state: 'failed' })
    .andWhere('id', '<', beforeId)
    .update({ state: 'done', done_at: now, result: `superseded by #${beforeId}` });
}

/** Queues an event from application code (reconciliation; wakeWorkers when done); triggers queue the others. */
export async function enqueue(
  db: Db,
  e: { destination: string; event: string; aggregateId: string; payload: unknown; now: number },
): Promise<void> {
  await db(TABLE).insert({
    destination: e.destination,
    event: e.event,
    aggregate_id: e.aggregateId,
    payload: JSON.stringify(e.payload),
    available_at: e.now,
    created_at: e.now,
  });
}
