import type { Db } from '../db/knex.js';
import * as copies from '../db/working-copies.js';
import type { WorkingCopy } from '../db/working-copies.js';
import { conflict, forbidden, notFound } from '../errors.js';
import { klanten } from './klanten.js';
import * as resource from './resource.js';
import type { DomainContext, Json, Row } from './resource.js';

// Four-eyes editing of klanten: an edit is stored as a working copy of the klant and takes effect
// only when a second person approves it. The klant's heldBy hook keeps the APIs off it meanwhile.

export type { WorkingCopy };

const STALE_TEXT =
  'De klant is gewijzigd sinds deze werkkopie werd gemaakt; keur de werkkopie af en maak een nieuwe op basis van de huidige gegevens.';

/**
 * Stores an edit as a working copy after every rule an update through the API applies (nothing is
 * written when one fails). `seenUpdatedAt` is the klant's version the editor started from. An
 * editor may rework their own pending copy; someone else's copy blocks a second one.
 */
export async function propose(
  ctx: DomainContext,
  klantUuid: string,
  input: Json,
  o: { username: string; seenUpdatedAt: number },
  /** Records the save in its transaction (the admin's audit log): both or neither. */
  record?: (trx: Db, outcome: 'saved' | 'updated') => Promise<void>,
): Promise<'saved' | 'updated'> {
  const existing = await resource.get(ctx, klanten, klantUuid);
  const pending = await copies.findForKlant(ctx.db, klantUuid);
  if (pending && pending.createdBy !== o.username) {
    throw conflict('working-copy-exists', `Er wacht al een werkkopie van ${pending.createdBy} op goedkeuring.`);
  }
  await resource.validateUpdate(ctx, klanten, existing, input, false);
  if (pending) {
    // Approved or rejected since it was read: say so rather than report a save that went nowhere.
    await ctx.db.transaction(async (trx) => {
      if (!(await copies.updateInput(trx, pending.id, input))) {
        throw conflict(
          'working-copy-gone',
          'Je werkkopie is intussen goedgekeurd of afgekeurd; open de klant opnieuw en breng je wijziging opnieuw aan.',
        );
      }
      await record?.(trx, 'updated');
    });
    return 'updated';
  }
  const result = await copies.insert(ctx.db, {
    klantUuid,
    input,
    createdBy: o.username,
    seenUpdatedAt: o.seenUpdatedAt,
    now: Date.now(),
    ...(record ? { record: (trx: Db) => record(trx, 'saved') } : {}),
  });
  if (result === 'gone') throw notFound('Deze klant bestaat niet meer.');
  if (result === 'stale') {
    throw conflict(
      'klant-changed',
      'De klant is intussen gewijzigd; open het formulier opnieuw en breng de wijziging opnieuw aan.',
    );
  }
  if (result === 'exists') throw conflict('working-copy-exists', 'Er wacht al een werkkopie op goedkeuring.');
  return 'saved';
}

/** True when the row still has every value of the base (the active record did not change since). */
function unchanged(base: Row, now: Row): boolean {
  return Object.keys(base).every((k) => JSON.stringify(base[k] ?? null) === JSON.stringify(now[k] ?? null));
}

/**
 * Approves a working copy: in ONE transaction the klant takes the copy's values (through the same
 * update as the API) and the copy is deleted. Refused for the copy's own author and when the
 * active record changed since the copy was made (no silent overwrite).
 */
export async function approve(
  ctx: DomainContext,
  klantUuid: string,
  approver: string,
  /** Records the approval in the same transaction (the admin's audit log): both or neither. */
  record?: (trx: Db, outcome: { before: Json; after: Json; createdBy: string }) => Promise<void>,
): Promise<{ before: Json; after: Json; createdBy: string }> {
  return ctx.db.transaction(async (trx) => {
    const tctx: DomainContext = { ...ctx, db: trx };
    const active = await copies.lockKlant(trx, klantUuid);
    const copy = await copies.findForKlant(trx, klantUuid);
    if (!active || !copy) throw notFound('Er is geen werkkopie (meer) voor deze klant.');
    if (copy.createdBy === approver) {
      throw forbidden(
        'own-working-copy',
        'Je kunt je eigen wijziging niet goedkeuren; een tweede persoon moet dat doen.',
      );
    }
    if (!unchanged(copy.base, active)) throw conflict('working-copy-stale', STALE_TEXT);
    const before = klanten.toApi(active, ctx.urls);
    // Rejected since it was read (a rejection does not wait for the klant's lock): nothing to approve.
    if (!(await copies.remove(trx, copy.id))) throw notFound('Er is geen werkkopie (meer) voor deze klant.');
    const row = await resource.update(tctx, klanten, klantUuid, copy.input, false);
    const outcome = { before, after: klanten.toApi(row, ctx.urls), createdBy: copy.createdBy };
    await record?.(trx, outcome);
    return outcome;
  });
}

/** Discards a working copy; the klant stays as it is. */
export async function reject(
  ctx: DomainContext,
  klantUuid: string,
  /** Records the rejection in its transaction: both or neither. */
  record?: (trx: Db, copy: WorkingCopy) => Promise<void>,
): Promise<WorkingCopy> {
  return ctx.db.transaction(async (trx) => {
    const copy = await copies.findForKlant(trx, klantUuid);
    if (!copy || !(await copies.remove(trx, copy.id))) throw notFound('Er is geen werkkopie (meer) voor deze klant.');
    await record?.(trx, copy);
    return copy;
  });
}

export const find = (ctx: DomainContext, klantUuid: string) => copies.findForKlant(ctx.db, klantUuid);
export const listPending = (ctx: DomainContext) => copies.listPending(ctx.db);

/** Whether the copy would overwrite changes made to the klant after it was made. */
export async function isStale(ctx: DomainContext, copy: WorkingCopy): Promise<boolean> {
  const active = await resource.get(ctx, klanten, copy.klantUuid);
  return !unchanged(copy.base, active);
}
