import type { Db } from '../db/knex.js';
import * as outbox from '../db/outbox.js';
import * as links from '../db/remote-links.js';
import { DRC } from '../sync/drc.js';

/** Where a verzoekinformatieobject's mirror in the DRC stands, as the admin shows it. */
export interface MirrorState {
  state: 'pending' | 'delivered' | 'failing';
  remoteUrl?: string;
  lastError?: string;
  /** When the worker tries again; absent for a refused delivery that waits for a person. */
  nextAttempt?: number;
  attempts?: number;
  outboxId?: number;
}

export async function mirrorState(db: Db, relationUuid: string): Promise<MirrorState> {
  const latest = await outbox.latestFor(db, DRC, relationUuid);
  const remoteUrl = await links.find(db, DRC, relationUuid);
  if (!latest) return remoteUrl ? { state: 'delivered', remoteUrl } : { state: 'pending' };
  const base = { outboxId: Number(latest.id), attempts: Number(latest.attempts) };
  if (latest.state === 'done') {
    const url = remoteUrl ?? latest.result ?? undefined;
    return { ...base, state: 'delivered', ...(url ? { remoteUrl: url } : {}) };
  }
  if (latest.state === 'failed') return { ...base, state: 'failing', lastError: latest.last_error ?? '' };
  if (latest.last_error) {
    return { ...base, state: 'failing', lastError: latest.last_error, nextAttempt: Number(latest.available_at) };
  }
  return { ...base, state: 'pending' };
}
