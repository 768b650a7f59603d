import type { Db } from './knex.js';

export const ROLES = ['viewer', 'editor', 'approver', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export interface AdminUser {
  id: number;
  username: string;
  passwordHash: string;
  role: Role;
  createdAt: number;
}

interface AdminUserRow {
  id: number;
  username: string;
  password_hash: string;
  role: string;
  created_at: number;
}

const TABLE = 'admin_users';

const fromRow = (r: AdminUserRow): AdminUser => ({
  id: Number(r.id),
  username: r.username,
  passwordHash: r.password_hash,
  role: r.role as Role,
  createdAt: Number(r.created_at),
});

export async function findByUsername(db: Db, username: string): Promise<AdminUser | undefined> {
  const row = await db<AdminUserRow>(TABLE).where({ username }).first();
  return row && fromRow(row);
}

export async function findById(db: Db, id: number): Promise<AdminUser | undefined> {
  const row = await db<AdminUserRow>(TABLE).where({ id }).first();
  return row && fromRow(row);
}

export async function list(db: Db): Promise<AdminUser[]> {
  return ((await db<AdminUserRow>(TABLE).orderBy('username')) as AdminUserRow[]).map(fromRow);
}

export async function count(db: Db): Promise<number> {
  const [row] = await db(TABLE).count({ n: '*' });
  return Number(row?.['n'] ?? 0);
}

/** Adds a user; false when the username is taken. */
export async function add(db: Db, u: { username: string; passwordHash: string; role: Role }): Promise<boolean> {
  const inserted = await db(TABLE)
    .insert({ username: u.username, password_hash: u.passwordHash, role: u.role, created_at: Date.now() })
    .onConflict('username')
    .ignore()
    .returning('id');
  return inserted.length > 0;
}

/**
 * Adds the first user only while there is none. Instances starting at once on an empty PostgreSQL
 * database all try the same username: the unique index lets exactly one of them in.
 */
export async function addIfNone(db: Db, u: { username: string; passwordHash: string; role: Role }): Promise<boolean> {
  if ((await count(db)) > 0) return false;
  return add(db, u);
}

/** Sets a new password; the user's sessions end with it. */
export async function setPassword(db: Db, username: string, passwordHash: string): Promise<boolean> {
  return db.transaction(async (trx) => {
    const user = await trx<AdminUserRow>(TABLE).where({ username }).first('id');
    if (!user) return false;
    await trx(TABLE).where({ id: user.id }).update({ password_hash: passwordHash });
    await trx('admin_sessions').where({ user_id: user.id }).delete();
    return true;
  });
}

export async function setRole(db: Db, username: string, role: Role): Promise<boolean> {
  return (await db(TABLE).where({ username }).update({ role })) > 0;
}

export async function remove(db: Db, username: string): Promise<boolean> {
  return (await db(TABLE).where({ username }).delete()) > 0;
}
