import type { Db } from './knex.js';

export const KLANTNUMMER_DIGITS = 8;

/**
 * The highest all-digit 8-character klantnummer of a bronorganisatie (0 if none). Client-chosen
 * klantnummers of other shapes are skipped; the (bronorganisatie, klantnummer) index serves the
 * descending scan, and all-digit values sort before letters, so the first batch nearly always answers.
 */
export async function highestNumericKlantnummer(db: Db, bronorganisatie: string): Promise<number> {
  const batch = 100;
  for (let offset = 0; ; offset += batch) {
    const candidates = (await db('klanten')
      .where({ bronorganisatie })
      .andWhere('klantnummer', 'like', '_'.repeat(KLANTNUMMER_DIGITS))
      .orderBy('klantnummer', 'desc')
      .offset(offset)
      .limit(batch)
      .pluck('klantnummer')) as string[];
    const hit = candidates.find((k) => /^\d+$/.test(k));
    if (hit) return Number(hit);
    if (candidates.length < batch) return 0;
  }
}

export async function findUuidByKlantnummer(
  db: Db,
  bronorganisatie: string,
  klantnummer: string,
): Promise<string | undefined> {
  const row = (await db('klanten').where({ bronorganisatie, klantnummer }).first('uuid')) as
    { uuid: string } | undefined;
  return row?.uuid;
}
