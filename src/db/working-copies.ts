import type { Db } from './knex.js';
import type { Row } from './rows.js';

/** A pending edit of a klant, waiting for approval by a second person. */
export interface WorkingCopy {
  id: number;
  klantUuid: string;
  /** The klant as the editor wants it, in API form. */
  input: Record<string, unknown>;
  /** The active row when the edit was saved. */
  base: Row;
  createdBy: string;
  createdAt: number;
}

const TABLE = 'klant_working_copies';
/** What a ResourceDef's heldBy names: the rows that hold a klant. */
export const HOLDS_KLANT = { table: TABLE, column: 'klant_uuid' } as const;

const fromRow = (r: Record<string, unknown>): WorkingCopy => ({
  id: Number(r['id']),
  klantUuid: r['klant_uuid'] as string,
  input: JSON.parse(r['input'] as string) as Record<string, unknown>,
  base: JSON.parse(r['base'] as string) as Row,
  createdBy: r['created_by'] as string,
  createdAt: Number(r['created_at']),
});

export async function findForKlant(db: Db, klantUuid: string): Promise<WorkingCopy | undefined> {
  const row = (await db(TABLE).where({ klant_uuid: klantUuid }).first()) as Record<string, unknown> | undefined;
  return row && fromRow(row);
}

/** Pending copies, oldest first, with the klant's name for the overview. */
export async function listPending(db: Db, limit = 200): Promise<(WorkingCopy & { klantNaam: string })[]> {
  const rows = (await db(`${TABLE} as w`)
    .join('klanten as k', 'k.uuid', 'w.klant_uuid')
    .select('w.*', 'k.voornaam', 'k.achternaam')
    .orderBy('w.id')
    .limit(limit)) as Record<string, unknown>[];
  return rows.map((r) => ({ ...fromRow(r), klantNaam: `${String(r['voornaam'])} ${String(r['achternaam'])}`.trim() }));
}

/**
 * Stores a copy unless the klant changed since the editor loaded it (`seenUpdatedAt`) or a copy
 * exists already. Runs in one transaction with the klant row locked, so the base is exact.
 */
export async function insert(
  db: Db,
  c: {
    klantUuid: string;
    input: Record<string, unknown>;
    createdBy: string;
    seenUpdatedAt: number;
    now: number;
    /** Runs in the same transaction once the copy is stored (its record). */
    record?: (trx: Db) => Promise<void>;
  },
): Promise<'saved' | 'stale' | 'exists' | 'gone'> {
  return db.transaction(async (trx) => {
    const klant = (await trx('klanten').where({ uuid: c.klantUuid }).forUpdate().first()) as Row | undefined;
    if (!klant) return 'gone';
    if (Number(klant['updated_at']) !== c.seenUpdatedAt) return 'stale';
    if (await trx(TABLE).where({ klant_uuid: c.klantUuid }).first('id')) return 'exists';
    await trx(TABLE).insert({
      klant_uuid: c.klantUuid,
      input: JSON.stringify(c.input),
      base: JSON.stringify(klant),
      created_by: c.createdBy,
      created_at: c.now,
    });
    await c.record?.(trx);
    return 'saved';
  });
}

/** Replaces the values of the editor's own pending copy (the base stays: it is what they started from). */
export async function updateInput(db: Db, id: number, input: Record<string, unknown>): Promise<boolean> {
  return (
    (await db(TABLE)
      .where({ id })
      .update({ input: JSON.stringify(input) })) > 0
  );
}

/** Deletes the copy; false when it was gone already (approved or rejected by someone else). */
export async function remove(db: Db, id: number): Promise<boolean> {
  return (await db(TABLE).where({ id }).delete()) > 0;
}

/** The klant row locked for the rest of the transaction (PostgreSQL; SQLite has one writer). */
export async function lockKlant(trx: Db, klantUuid: string): Promise<Row | undefined> {
  return (await trx('klanten').where({ uuid: klantUuid }).forUpdate().first()) as Row | undefined;
}
