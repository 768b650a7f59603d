import type { Db } from './knex.js';
import { dialectOf } from './knex.js';

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
export async function claimBatch(db: Db, o: { ticket: string; now: number; leaseMs: number; limit: number }): Promise<OutboxRow[]> {
  const pg = dialectOf(db) === 'pg';
  return db.transaction(async (trx) => {
    const due = trx(`${TABLE} as o`)
      .select('o.id')
      .where('o.state', 'pending')
      .andWhere('o.available_at', '<=', o.now)
      .andWhere((q) => q.whereNull('o.locked_until').orWhere('o.locked_until', '<', o.now))
      .whereNotExists(
        trx(`${TABLE} as older`)
          .select('older.id')
          .whereRaw('older.aggregate_id = o.aggregate_id')
          .andWhere('older.state', 'pending')
          .andWhereRaw('older.id < o.id'),
      )
      .orderBy('o.id')
      .limit(o.limit);
    if (pg) due.forUpdate().skipLocked();
    const ids = ((await due) as { id: number }[]).map((r) => Number(r.id));
    if (ids.length === 0) return [];
    await trx(TABLE)
      .whereIn('id', ids)
      .update({ locked_by: o.ticket, locked_until: o.now + o.leaseMs, attempts: trx.raw('attempts + 1') });
    return (await trx(TABLE).whereIn('id', ids).andWhere('locked_by', o.ticket).orderBy('id')) as OutboxRow[];
  });
}

/** Marks a delivered row done, unless another worker has taken it over meanwhile. */
export async function markDone(db: Db, id: number, ticket: string, now: number, result: string | null = null): Promise<boolean> {
  const n = await db(TABLE)
    .where({ id, locked_by: ticket })
    .update({ state: 'done', locked_by: null, locked_until: null, last_error: null, result, done_at: now });
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
  return (await db(TABLE).where({ destination, aggregate_id: aggregateId }).orderBy('id', 'desc').first()) as OutboxRow | undefined;
}

/** Rows that are not done: pending (due or waiting for a retry) and failed. */
export async function listOpen(db: Db, limit = 1000): Promise<OutboxRow[]> {
  return (await db(TABLE).whereIn('state', ['pending', 'failed']).orderBy('id').limit(limit)) as OutboxRow[];
}

export async function summary(db: Db): Promise<{ pending: number; failed: number; oldestOpenCreatedAt: number | null }> {
  const rows = (await db(TABLE).select('state').count({ n: '*' }).min({ oldest: 'created_at' }).whereIn('state', ['pending', 'failed']).groupBy('state')) as {
    state: string;
    n: number | string;
    oldest: number | string | null;
  }[];
  const get = (s: string) => Number(rows.find((r) => r.state === s)?.n ?? 0);
  const oldest = rows.map((r) => Number(r.oldest)).filter((n) => Number.isFinite(n) && n > 0);
  return { pending: get('pending'), failed: get('failed'), oldestOpenCreatedAt: oldest.length ? Math.min(...oldest) : null };
}

/** Makes failed or waiting rows due now (all when `id` is undefined). Returns how many. */
export async function retryNow(db: Db, now: number, id?: number): Promise<number> {
  const q = db(TABLE).whereIn('state', ['pending', 'failed']);
  if (id !== undefined) q.andWhere({ id });
  return q.update({ state: 'pending', available_at: now, locked_by: null, locked_until: null });
}

/** Queues an event from application code (reconciliation); triggers queue the others. */
export async function enqueue(db: Db, e: { destination: string; event: string; aggregateId: string; payload: unknown; now: number }): Promise<void> {
  await db(TABLE).insert({
    destination: e.destination,
    event: e.event,
    aggregate_id: e.aggregateId,
    payload: JSON.stringify(e.payload),
    available_at: e.now,
    created_at: e.now,
  });
}
