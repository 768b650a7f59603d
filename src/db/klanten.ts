import type { Db } from './knex.js';

export async function findUuidByKlantnummer(
  db: Db,
  bronorganisatie: string,
  klantnummer: string,
): Promise<string | undefined> {
  const row = (await db('klanten').where({ bronorganisatie, klantnummer }).first('uuid')) as
    { uuid: string } | undefined;
  return row?.uuid;
}
