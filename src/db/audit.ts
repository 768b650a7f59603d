import type { Db } from './knex.js';

export interface AuditEntry {
  id: number;
  at: number;
  username: string;
  action: string;
  target: string;
  before: unknown;
  after: unknown;
}

const TABLE = 'admin_audit';

const json = (v: unknown) => (v === undefined || v === null ? null : JSON.stringify(v));
const parse = (v: unknown) => (typeof v === 'string' ? (JSON.parse(v) as unknown) : null);

/** Appends one entry; there is no update or delete (triggers refuse them too). */
export async function append(
  db: Db,
  e: { username: string; action: string; target?: string; before?: unknown; after?: unknown; at?: number },
): Promise<void> {
  await db(TABLE).insert({
    at: e.at ?? Date.now(),
    // Cut to the columns' sizes: a failed login records whatever was typed as the username.
    username: e.username.slice(0, 100),
    action: e.action.slice(0, 100),
    target: (e.target ?? '').slice(0, 1000),
    before: json(e.before),
    after: json(e.after),
  });
}

/** Newest first, keyset-paged by id. */
export async function page(
  db: Db,
  o: { before?: number; limit: number; action?: string; username?: string },
): Promise<AuditEntry[]> {
  const q = db(TABLE).orderBy('id', 'desc').limit(o.limit);
  if (o.before !== undefined) q.where('id', '<', o.before);
  if (o.action) q.where('action', o.action);
  if (o.username) q.where('username', o.username);
  return ((await q) as Record<string, unknown>[]).map((r) => ({
    id: Number(r['id']),
    at: Number(r['at']),
    username: r['username'] as string,
    action: r['action'] as string,
    target: r['target'] as string,
    before: parse(r['before']),
    after: parse(r['after']),
  }));
}
