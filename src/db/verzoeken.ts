import type { Db } from './knex.js';

/** The highest identificatie of a bronorganisatie that starts with `prefix`, if any. */
export async function highestIdentificatie(db: Db, bronorganisatie: string, prefix: string): Promise<string | undefined> {
  const row = (await db('verzoeken')
    .where({ bronorganisatie })
    .andWhere('identificatie', 'like', `${prefix}%`)
    .max({ m: 'identificatie' })
    .first()) as { m: string | null } | undefined;
  return row?.m ?? undefined;
}

export async function findUuidByIdentificatie(db: Db, bronorganisatie: string, identificatie: string): Promise<string | undefined> {
  const row = (await db('verzoeken').where({ bronorganisatie, identificatie }).first('uuid')) as { uuid: string } | undefined;
  return row?.uuid;
}
