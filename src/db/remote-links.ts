import type { Db } from './knex.js';

/** Where a mirrored relation lives in another component (e.g. the DRC's objectinformatieobject URL). */
export async function find(db: Db, destination: string, aggregateId: string): Promise<string | undefined> {
  const row = (await db('remote_links').where({ destination, aggregate_id: aggregateId }).first('remote_url')) as
    { remote_url: string } | undefined;
  return row?.remote_url;
}

export async function save(db: Db, destination: string, aggregateId: string, remoteUrl: string): Promise<void> {
  await db('remote_links')
    .insert({ destination, aggregate_id: aggregateId, remote_url: remoteUrl, created_at: Date.now() })
    .onConflict(['destination', 'aggregate_id'])
    .merge(['remote_url']);
}

export async function remove(db: Db, destination: string, aggregateId: string): Promise<void> {
  await db('remote_links').where({ destination, aggregate_id: aggregateId }).delete();
}
