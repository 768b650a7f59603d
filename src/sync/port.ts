import { setTimeout as sleep } from 'node:timers/promises';
import type { Db } from '../db/knex.js';
import * as outbox from '../db/outbox.js';
import type { FirstAttempt, SyncPort } from '../domain/sync.js';

/**
 * The SyncPort over the outbox table: whichever worker (this process's or another instance's)
 * delivers the row, its outcome is read back from the database.
 */
export class OutboxSyncPort implements SyncPort {
  constructor(
    private readonly db: Db,
    /** Wakes the worker; with an outbox id, asks it to attempt that row now even if its destination is paused. */
    private readonly wake: (outboxId?: number) => void,
    private readonly waitMs: number,
    private readonly pollEveryMs = 15,
  ) {}

  nudge(): void {
    this.wake();
  }

  async firstAttempt(destination: string, aggregateId: string): Promise<FirstAttempt> {
    const deadline = Date.now() + this.waitMs;
    const queued = await outbox.latestFor(this.db, destination, aggregateId);
    if (!queued) return { state: 'delivered' }; // nothing to mirror
    this.wake(queued.id);
    for (;;) {
      const row = await outbox.find(this.db, queued.id);
      if (!row || row.state === 'done') return { state: 'delivered' };
      if (row.state === 'failed') return { state: 'refused', reason: refusalReason(row) };
      if (row.attempts > 0 && row.locked_by === null) return { state: 'pending' }; // tried, will retry
      if (Date.now() >= deadline) return { state: 'pending' };
      await sleep(this.pollEveryMs);
    }
  }
}

/** The remote side's own words when it sent a problem document, else our note of the failure. */
function refusalReason(row: outbox.OutboxRow): string {
  try {
    const body = JSON.parse(row.result ?? '') as {
      detail?: string;
      invalidParams?: { name: string; reason: string }[];
    };
    const params = body.invalidParams?.map((p) => `${p.name}: ${p.reason}`).join('; ');
    if (params) return params;
    if (body.detail) return body.detail;
  } catch {
    // not JSON
  }
  return row.last_error ?? 'refused';
}
