import type { Db } from './knex.js';

const TABLE = 'admin_login_throttle';

export interface ThrottleRule {
  maxFailures: number;
  windowMs: number;
  lockMs: number;
}

/** Until when the key is locked (undefined: not locked). */
export async function lockedUntil(db: Db, key: string, now: number): Promise<number | undefined> {
  const row = (await db(TABLE).where({ key }).first('locked_until')) as { locked_until: number | null } | undefined;
  const until = row?.locked_until == null ? undefined : Number(row.locked_until);
  return until !== undefined && until > now ? until : undefined;
}

/**
 * Counts one failure for the key in a transaction (instances share the count); once the rule's
 * number is reached within its window, the key is locked for `lockMs`.
 */
export async function recordFailure(db: Db, key: string, rule: ThrottleRule, now: number): Promise<void> {
  await db.transaction(async (trx) => {
    const row = (await trx(TABLE).where({ key }).forUpdate().first()) as
      { failures: number; window_start: number } | undefined;
    const fresh = !row || Number(row.window_start) + rule.windowMs < now;
    const failures = fresh ? 1 : Number(row.failures) + 1;
    const values = {
      failures,
      window_start: fresh ? now : Number(row.window_start),
      locked_until: failures >= rule.maxFailures ? now + rule.lockMs : null,
    };
    if (row) await trx(TABLE).where({ key }).update(values);
    else
      await trx(TABLE)
        .insert({ key, ...values })
        .onConflict('key')
        .merge();
  });
}

export async function clear(db: Db, key: string): Promise<void> {
  await db(TABLE).where({ key }).delete();
}

/** Forgets counts whose window and lock are both over (housekeeping on each login). */
export async function prune(db: Db, now: number, windowMs: number): Promise<void> {
  await db(TABLE)
    .where('window_start', '<', now - windowMs)
    .andWhere((w) => w.whereNull('locked_until').orWhere('locked_until', '<', now))
    .delete();
}
