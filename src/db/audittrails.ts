import type { Db } from './knex.js';

/** One stored audit trail entry (columns as in the audittrails table). */
export interface AuditRow {
  id: number;
  uuid: string;
  klant_uuid: string;
  bron: string;
  applicatie_id: string;
  applicatie_weergave: string;
  gebruikers_id: string;
  gebruikers_weergave: string;
  actie: string;
  actie_weergave: string;
  resultaat: number;
  resource: string;
  resource_weergave: string;
  toelichting: string;
  logrecord_id: string;
  oud: string | null;
  nieuw: string | null;
  aanmaakdatum: string;
}

export async function insert(db: Db, row: Omit<AuditRow, 'id'>): Promise<void> {
  await db('audittrails').insert(row);
}

/** The trail of one klant, oldest first. */
export async function listForKlant(db: Db, klantUuid: string): Promise<AuditRow[]> {
  return (await db('audittrails').where({ klant_uuid: klantUuid }).orderBy('id')) as AuditRow[];
}

export async function findForKlant(db: Db, klantUuid: string, uuid: string): Promise<AuditRow | undefined> {
  return (await db('audittrails').where({ klant_uuid: klantUuid, uuid }).first()) as AuditRow | undefined;
}
