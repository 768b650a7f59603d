import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Db } from '../db/knex.js';
import * as outbox from '../db/outbox.js';
import type { Logger } from '../logger.js';
import { nextDelayMs } from './backoff.js';
import type { Destination, Outcome } from './destination.js';

export interface WorkerOptions {
  db: Db;
  log: Logger;
  destinations: Destination[];
  pollMs: number;
  leaseMs?: number;
  batchSize?: number;
  /** How many rows of one batch are delivered at the same time (default 8). */
  concurrency?: number;
  backoff?: (attempts: number) => number;
}

/**
 * Delivers outbox rows: claim a batch (with a lease), deliver each, settle it (done, retry later
 * with backoff, or failed for a person). It polls, and wakes early when nudged after a write or
 * by a PostgreSQL NOTIFY. It never overlaps itself; stop() lets the current batch settle.
 */
export class OutboxWorker {
  private stopping = new AbortController();
  private wake: (() => void) | undefined;
  private nudged = false;
  private loop: Promise<void> | undefined;
  private readonly leaseMs: number;
  private readonly batchSize: number;
  private readonly concurrency: number;
  private readonly backoff: (attempts: number) => number;
  private readonly byName: Map<string, Destination>;

  constructor(private readonly o: WorkerOptions) {
    this.leaseMs = o.leaseMs ?? 60_000;
    this.batchSize = o.batchSize ?? 32;
    this.concurrency = Math.max(1, o.concurrency ?? 8);
    this.backoff = o.backoff ?? ((a) => nextDelayMs(a));
    this.byName = new Map(o.destinations.map((d) => [d.name, d]));
  }

  /** Starts the loop (again, after a stop). */
  start(): void {
    if (this.loop) return;
    if (this.stopping.signal.aborted) this.stopping = new AbortController();
    this.loop = this.run().finally(() => {
      this.loop = undefined;
    });
  }

  /** Look again now (a write just queued rows). */
  nudge(): void {
    this.nudged = true;
    this.wake?.();
  }

  async stop(): Promise<void> {
    this.stopping.abort();
    this.wake?.();
    await this.loop;
  }

  private async run(): Promise<void> {
    while (!this.stopping.signal.aborted) {
      let claimed = 0;
      try {
        claimed = await this.runOnce();
      } catch (err) {
        this.o.log.error({ err }, 'outbox round failed; trying again');
      }
      if (claimed < this.batchSize && !this.nudged) await this.sleep(this.o.pollMs);
    }
  }

  /** One claim → deliver → settle round; returns how many rows it claimed. */
  async runOnce(): Promise<number> {
    this.nudged = false;
    const ticket = randomUUID();
    const claimedAt = Date.now();
    const rows = await outbox.claimBatch(this.o.db, {
      ticket,
      now: claimedAt,
      leaseMs: this.leaseMs,
      limit: this.batchSize,
    });
    // Rows of different relations go out in parallel (a DRC round trip is mostly waiting);
    // rows that touch the same relation stay in claim order.
    const groups = new Map<string, outbox.OutboxRow[]>();
    for (const row of rows) {
      const key = this.orderingKey(row);
      groups.set(key, [...(groups.get(key) ?? []), row]);
    }
    const queue = [...groups.values()];
    const lanes = Array.from({ length: Math.min(this.concurrency, queue.length) }, async () => {
      for (let group = queue.shift(); group; group = queue.shift()) {
        for (const row of group) await this.deliverRow(row, ticket, claimedAt);
      }
    });
    await Promise.all(lanes);
    return rows.length;
  }

  private orderingKey(row: outbox.OutboxRow): string {
    try {
      return this.byName.get(row.destination)?.orderingKey?.(row) ?? `${row.destination} ${row.aggregate_id}`;
    } catch {
      return `${row.destination} ${row.aggregate_id}`; // an unreadable payload fails in deliver, visibly
    }
  }

  /** Delivers one claimed row and settles it; never throws for a remote failure. */
  private async deliverRow(row: outbox.OutboxRow, ticket: string, claimedAt: number): Promise<void> {
    const started = Date.now();
    // The claim's lease covers the whole batch from the start; a row reached after half of it
    // gets a fresh one, so every delivery starts with at least half a lease to go. Lost to
    // another worker (our lease ran out meanwhile): leave it to that one.
    if (
      started > claimedAt + this.leaseMs / 2 &&
      !(await outbox.renew(this.o.db, row.id, ticket, started + this.leaseMs))
    ) {
      this.o.log.warn(
        { outbox: row.id, aggregate: row.aggregate_id },
        'outbox lease lost to another worker; skipping the row',
      );
      return;
    }
    const outcome = await this.deliverSafely(row);
    const now = Date.now();
    const entry = {
      outbox: row.id,
      destination: row.destination,
      event: row.event,
      aggregate: row.aggregate_id,
      attempt: row.attempts,
      ms: now - started,
    };
    if (outcome.ok) {
      await outbox.markDone(this.o.db, row.id, ticket, now, outcome.result ?? null);
      this.o.log.info({ ...entry, result: outcome.result }, 'outbox delivered');
    } else {
      const retryAt = now + this.backoff(row.attempts);
      await outbox.markFailed(this.o.db, row.id, ticket, {
        error: outcome.error,
        permanent: outcome.permanent,
        retryAt,
        result: outcome.result ?? null,
      });
      if (outcome.permanent)
        this.o.log.error(
          { ...entry, error: outcome.error },
          'outbox delivery refused; needs a person (kic sync status)',
        );
      else
        this.o.log.warn(
          { ...entry, error: outcome.error, retryAt: new Date(retryAt).toISOString() },
          'outbox delivery failed; will retry',
        );
    }
  }

  private async deliverSafely(row: outbox.OutboxRow): Promise<Outcome> {
    const destination = this.byName.get(row.destination);
    if (!destination) return { ok: false, permanent: true, error: `no destination "${row.destination}" configured` };
    try {
      return await destination.deliver(row);
    } catch (err) {
      return { ok: false, permanent: false, error: `${(err as Error).name}: ${(err as Error).message}` };
    }
  }

  private async sleep(ms: number): Promise<void> {
    const nap = new AbortController();
    this.wake = () => nap.abort();
    try {
      await sleep(ms, undefined, { signal: AbortSignal.any([nap.signal, this.stopping.signal]) });
    } catch {
      // woken early or stopping: both mean "look again now"
    } finally {
      this.wake = undefined;
    }
  }
}
