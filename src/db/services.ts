import type { Db } from './knex.js';

export interface ServiceRow {
  id: number;
  api_root: string;
  label: string;
  client_id: string;
  secret: string;
  user_id: string;
  user_representation: string;
  created_at: number;
}

/** Another API this component may call, with the credentials for an outgoing JWT-ZGW. */
export interface Service {
  apiRoot: string;
  label: string;
  clientId: string;
  secret: string;
  userId: string;
  userRepresentation: string;
}

const TABLE = 'services';

const fromRow = (r: ServiceRow): Service => ({
  apiRoot: r.api_root,
  label: r.label,
  clientId: r.client_id,
  secret: r.secret,
  userId: r.user_id,
  userRepresentation: r.user_representation,
});

export async function list(db: Db): Promise<Service[]> {
  return (await db<ServiceRow>(TABLE).orderBy('api_root')).map(fromRow);
}

/** Adds or replaces the service with this API root. */
export async function upsert(db: Db, s: Service): Promise<void> {
  await db(TABLE)
    .insert({
      api_root: s.apiRoot,
      label: s.label,
      client_id: s.clientId,
      secret: s.secret,
      user_id: s.userId,
      user_representation: s.userRepresentation,
      created_at: Date.now(),
    })
    .onConflict('api_root')
    .merge(['label', 'client_id', 'secret', 'user_id', 'user_representation']);
}

export async function remove(db: Db, apiRoot: string): Promise<boolean> {
  return (await db(TABLE).where({ api_root: apiRoot }).delete()) > 0;
}
