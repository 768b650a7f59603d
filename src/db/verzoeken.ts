import type { Db } from './knex.js';

/**
 * The highest generated number of a bronorganisatie for `prefix` (`VERZOEK-2024-`): only
 * identificaties that are exactly the prefix followed by ten digits count. A client may store
 * anything that merely resembles one (`VERZOEK-2024-zzzzzzzzzz`, `verzoek-2024-…`, which SQLite's
 * LIKE matches case-insensitively); those are skipped so they can neither stall nor bend the sequence.
 */
export async function highestGeneratedNumber(db: Db, bronorganisatie: string, prefix: string): Promise<number> {
  const exact = /^(.*)(\d{10})$/;
  const batch = 100;
  for (let offset = 0; ; offset += batch) {
    const candidates = (await db('verzoeken')
      .where({ bronorganisatie })
      .andWhere('identificatie', 'like', `${prefix}${'_'.repeat(10)}`)
      .orderBy('identificatie', 'desc')
      .offset(offset)
      .limit(batch)
      .pluck('identificatie')) as string[];
    // Ten-digit strings after the same prefix sort like their numbers, so the first match is the highest.
    for (const identificatie of candidates) {
      const m = exact.exec(identificatie);
      if (m && m[1] === prefix) return Number(m[2]);
    }
    if (candidates.length < batch) return 0;
  }
}

export async function findUuidByIdentificatie(
  db: Db,
  bronorganisatie: string,
  identificatie: string,
): Promise<string | undefined> {
  const row = (await db('verzoeken').where({ bronorganisatie, identificatie }).first('uuid')) as
    { uuid: string } | undefined;
  return row?.uuid;
}
