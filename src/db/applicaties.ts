import type { Db } from './knex.js';

export interface ApplicatieRow {
  id: number;
  client_id: string;
  secret: string;
  label: string;
  heeft_alle_autorisaties: boolean | number;
  scopes: string;
  created_at: number;
}

export interface Applicatie {
  clientId: string;
  secret: string;
  label: string;
  heeftAlleAutorisaties: boolean;
  scopes: string[];
}

const TABLE = 'applicaties';

const fromRow = (r: ApplicatieRow): Applicatie => ({
  clientId: r.client_id,
  secret: r.secret,
  label: r.label,
  heeftAlleAutorisaties: Boolean(r.heeft_alle_autorisaties),
  scopes: JSON.parse(r.scopes) as string[],
});

export async function findByClientId(db: Db, clientId: string): Promise<Applicatie | undefined> {
  const row = await db<ApplicatieRow>(TABLE).where({ client_id: clientId }).first();
  return row && fromRow(row);
}

export async function list(db: Db): Promise<Applicatie[]> {
  return (await db<ApplicatieRow>(TABLE).orderBy('client_id')).map(fromRow);
}

export async function count(db: Db): Promise<number> {
  const [row] = await db(TABLE).count({ n: '*' });
  return Number(row?.['n'] ?? 0);
}

/** Adds or replaces the applicatie with this client_id. */
export async function upsert(db: Db, a: Applicatie): Promise<void> {
  await db(TABLE)
    .insert({
      client_id: a.clientId,
      secret: a.secret,
      label: a.label,
      heeft_alle_autorisaties: a.heeftAlleAutorisaties,
      scopes: JSON.stringify(a.scopes),
      created_at: Date.now(),
    })
    .onConflict('client_id')
    .merge(['secret', 'label', 'heeft_alle_autorisaties', 'scopes']);
}

export async function remove(db: Db, clientId: string): Promise<boolean> {
  return (await db(TABLE).where({ client_id: clientId }).delete()) > 0;
}
