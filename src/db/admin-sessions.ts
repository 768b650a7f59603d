import type { Db } from './knex.js';

export interface SessionWithUser {
  tokenHash: string;
  csrfToken: string;
  lastSeenAt: number;
  userId: number;
  username: string;
  role: string;
}

const TABLE = 'admin_sessions';

export async function create(
  db: Db,
  s: { tokenHash: string; userId: number; csrfToken: string; now: number },
): Promise<void> {
  await db(TABLE).insert({
    token_hash: s.tokenHash,
    user_id: s.userId,
    csrf_token: s.csrfToken,
    created_at: s.now,
    last_seen_at: s.now,
  });
}

/** The session with its user, when it exists and was used after `idleSince`. */
export async function findActive(db: Db, tokenHash: string, idleSince: number): Promise<SessionWithUser | undefined> {
  const row = (await db(`${TABLE} as s`)
    .join('admin_users as u', 'u.id', 's.user_id')
    .where('s.token_hash', tokenHash)
    .andWhere('s.last_seen_at', '>=', idleSince)
    .first('s.token_hash', 's.csrf_token', 's.last_seen_at', 'u.id as user_id', 'u.username', 'u.role')) as
    Record<string, unknown> | undefined;
  if (!row) return undefined;
  return {
    tokenHash: row['token_hash'] as string,
    csrfToken: row['csrf_token'] as string,
    lastSeenAt: Number(row['last_seen_at']),
    userId: Number(row['user_id']),
    username: row['username'] as string,
    role: row['role'] as string,
  };
}

export async function touch(db: Db, tokenHash: string, now: number): Promise<void> {
  await db(TABLE).where({ token_hash: tokenHash }).update({ last_seen_at: now });
}

export async function remove(db: Db, tokenHash: string): Promise<void> {
  await db(TABLE).where({ token_hash: tokenHash }).delete();
}

/** Drops sessions idle since before `idleSince` (housekeeping; expired ones are refused anyway). */
export async function removeIdle(db: Db, idleSince: number): Promise<number> {
  return db(TABLE).where('last_seen_at', '<', idleSince).delete();
}
