import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Db } from '../db/knex.js';
import * as outbox from '../db/outbox.js';
import type { Logger } from '../logger.js';
import { nextDelayMs } from './backoff.js';
import type { Destination, Outcome } from './destination.js';

type Claimed = { row: outbox.OutboxRow; ticket: string; claimedAt: number; probe: boolean };

export interface WorkerOptions {
  db: Db;
  log: Logger;
  destinations: Destination[];
  pollMs: number;
  leaseMs?: number;
  batchSize?: number;
  /** How many rows of one batch are delivered at the same time (default 16). */
  concurrency?: number;
  backoff?: (attempts: number) => number;
  /**
   * How long after a destination's pause (k = 0) or its k-th probe the next probe may go: by
   * default 100 ms doubling up to the poll interval, so that a short outage ends without waiting
   * out a whole poll.
   */
  probeDelay?: (k: number) => number;
}

/**
 * Delivers outbox rows: claim a batch (with a lease), deliver each, settle it (done, retry later
 * with backoff, or failed for a person). It polls, and wakes early when nudged (after an API
 * write, a PostgreSQL NOTIFY, a commit to the SQLite file) and when the next retry is due. It
 * never overlaps itself; stop() lets the current batch settle.
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
  /**
   * Destinations whose latest attempt failed transiently (down, timing out, 5xx): until one
   * delivery succeeds again they get a single row (the probe) when their next probe is due, and
   * the rest wait untouched, instead of every row failing and backing off on its own. By the
   * clock, not per round: a worker woken by every commit (its own settles included) would
   * otherwise probe a DRC that is down as fast as it can. In memory: another worker process finds
   * out for itself.
   */
  private readonly paused = new Map<string, { nextProbeAt: number; probes: number }>();
  private readonly urgent = new Set<number>();
  private readonly probeDelay: (k: number) => number;
  private readonly settler: Settler;

  constructor(private readonly o: WorkerOptions) {
    this.leaseMs = o.leaseMs ?? 60_000;
    this.batchSize = o.batchSize ?? 32;
    this.concurrency = Math.max(1, o.concurrency ?? 16);
    this.probeDelay = o.probeDelay ?? ((k) => Math.min(o.pollMs, 100 * 2 ** Math.min(k, 20)));
    this.backoff = o.backoff ?? ((a) => nextDelayMs(a));
    this.byName = new Map(o.destinations.map((d) => [d.name, d]));
    this.settler = new Settler(o.db);
  }

  /** True while deliveries to this destination are paused after a transient failure. */
  isPaused(destination: string): boolean {
    return this.paused.has(destination);
  }

  /** Starts the loop (again, after a stop). */
  start(): void {
    if (this.loop) return;
    if (this.stopping.signal.aborted) this.stopping = new AbortController();
    this.loop = this.run().finally(() => {
      this.loop = undefined;
    });
  }

  /**
   * Look again now (a write just queued rows). With the id of a row a client waits for: attempt
   * that one now even when its destination is paused, so the client hears how its own went.
   */
  nudge(outboxId?: number): void {
    if (outboxId !== undefined) this.urgent.add(outboxId);
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
      if (claimed < this.batchSize && !this.nudged) await this.sleep(await this.nextNap());
    }
  }

  /**
   * How long to wait before looking again: the poll interval, or less until the next row waiting
   * for a retry is due (so a backoff ends when it says, not at the next poll) or a paused
   * destination's next probe.
   */
  private async nextNap(): Promise<number> {
    const now = Date.now();
    let nap = this.o.pollMs;
    try {
      const next = await outbox.nextRetryAt(this.o.db, now);
      if (next !== undefined) nap = Math.min(nap, next - now);
    } catch (err) {
      this.o.log.warn({ err }, 'outbox: could not look up the next retry; polling');
    }
    for (const { nextProbeAt } of this.paused.values()) nap = Math.min(nap, Math.max(0, nextProbeAt - now));
    return nap;
  }

  /**
   * One round: claim, deliver, settle; returns how many rows it claimed. While claims come back
   * full (a backlog), the next batch is claimed as the queue runs low, so the lanes never wait for
   * the slowest delivery of a batch before the next one starts.
   */
  async runOnce(): Promise<number> {
    this.nudged = false;
    const claim = async (o: {
      limit: number;
      ids?: number[];
      destinations?: string[];
      skipDestinations?: string[];
    }) => {
      const ticket = randomUUID();
      const claimedAt = Date.now();
      const rows = await outbox.claimBatch(this.o.db, { ticket, now: claimedAt, leaseMs: this.leaseMs, ...o });
      return rows.map((row): Claimed => ({ row, ticket, claimedAt, probe: o.destinations !== undefined }));
    };
    const paused = [...this.paused.keys()];
    const claimed: Claimed[] = [];
    // Rows clients wait for, a probe for each paused destination whose probe is due, then a batch
    // of everything else.
    if (paused.length && this.urgent.size) {
      const ids = [...this.urgent];
      claimed.push(...(await claim({ limit: ids.length, ids, destinations: paused })));
    }
    this.urgent.clear();
    for (const [destination, pause] of this.paused) {
      if (claimed.some((c) => c.row.destination === destination) || Date.now() < pause.nextProbeAt) continue;
      claimed.push(...(await claim({ limit: 1, destinations: [destination] })));
      pause.nextProbeAt = Date.now() + this.probeDelay(++pause.probes);
    }
    const batch = await claim({ limit: this.batchSize, skipDestinations: paused });
    claimed.push(...batch);
    let total = claimed.length;

    // Rows of different relations go out in parallel (a DRC round trip is mostly waiting);
    // rows that touch the same relation stay in claim order. A later claim never holds a row
    // of a relation still in flight: the claim skips rows behind an older pending one.
    const queue: Claimed[][] = [];
    const enqueue = (rows: Claimed[]) => {
      const groups = new Map<string, Claimed[]>();
      for (const c of rows) {
        const key = this.orderingKey(c.row);
        groups.set(key, [...(groups.get(key) ?? []), c]);
      }
      queue.push(...groups.values());
    };
    enqueue(claimed);
    let more = batch.length === this.batchSize;
    let refill: Promise<void> | undefined;
    const topUp = () => {
      if (refill || !more || queue.length > this.concurrency || this.stopping.signal.aborted) return;
      refill = claim({ limit: this.batchSize, skipDestinations: [...this.paused.keys()] })
        .then((rows) => {
          more = rows.length === this.batchSize;
          total += rows.length;
          enqueue(rows);
        })
        .catch((err: unknown) => {
          more = false; // the next round tries again
          this.o.log.error({ err }, 'outbox claim failed');
        })
        .finally(() => {
          refill = undefined;
        });
    };
    const lane = async () => {
      for (;;) {
        topUp();
        const group = queue.shift() ?? (refill && (await refill, queue.shift()));
        if (!group) {
          if (refill) continue; // another lane's claim is on its way
          return; // nothing queued and no more to claim
        }
        for (const c of group) await this.deliverRow(c, keep);
      }
    };
    // A lane goes on to its next row while the last one's settlement waits to be written with
    // others; the round ends when all are written.
    const settling: Promise<void>[] = [];
    const keep = (settled: Promise<void>) => {
      settled.catch(() => undefined); // rethrown by the Promise.all below, not unhandled meanwhile
      settling.push(settled);
    };
    await Promise.all(Array.from({ length: this.concurrency }, lane));
    await Promise.all(settling);
    return total;
  }

  private orderingKey(row: outbox.OutboxRow): string {
    try {
      return this.byName.get(row.destination)?.orderingKey?.(row) ?? `${row.destination} ${row.aggregate_id}`;
    } catch {
      return `${row.destination} ${row.aggregate_id}`; // an unreadable payload fails in deliver, visibly
    }
  }

  /** Delivers one claimed row and hands its settlement to `keep`; never throws for a remote failure. */
  private async deliverRow(
    { row, ticket, claimedAt, probe }: Claimed,
    keep: (settled: Promise<void>) => void,
  ): Promise<void> {
    // Its destination went down while this row waited in the batch: hand it back unattempted.
    if (!probe && this.paused.has(row.destination)) {
      keep(this.settler.settle({ id: row.id, ticket, outcome: 'released' }));
      return;
    }
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
      if (this.paused.delete(row.destination)) {
        this.o.log.info({ destination: row.destination }, 'outbox destination answers again; resuming');
        this.nudged = true; // the rows that waited are due: go on at once
      }
      keep(
        this.settler.settle({
          id: row.id,
          ticket,
          outcome: 'done',
          now,
          result: outcome.result ?? null,
          ...(outcome.link
            ? { link: { destination: row.destination, aggregateId: row.aggregate_id, remoteUrl: outcome.link } }
            : {}),
        }),
      );
      this.o.log.info({ ...entry, result: outcome.result }, 'outbox delivered');
    } else {
      const retryAt = now + this.backoff(row.attempts);
      if (!outcome.permanent && !this.paused.has(row.destination)) {
        this.paused.set(row.destination, { nextProbeAt: now + this.probeDelay(0), probes: 0 });
        this.o.log.warn(
          { destination: row.destination, error: outcome.error },
          'outbox destination failing; pausing it: one row at a time until it answers',
        );
      }
      keep(
        this.settler.settle({
          id: row.id,
          ticket,
          outcome: 'failed',
          error: outcome.error,
          permanent: outcome.permanent,
          retryAt,
          result: outcome.result ?? null,
        }),
      );
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

/**
 * Settles delivered rows in as few transactions as the database keeps up with: settlements that
 * arrive in the same turn of the event loop, or while the previous ones are written, go together
 * in one transaction. Each caller waits until its own row is settled.
 */
/** How long a settlement waits for others to share its transaction (a commit costs ~0.1 ms on SQLite). */
const SETTLE_DELAY_MS = 2;

class Settler {
  private queue: { s: outbox.Settlement; done: (err?: unknown) => void }[] = [];
  private writing = false;

  constructor(private readonly db: Db) {}

  settle(s: outbox.Settlement): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ s, done: (err) => (err === undefined ? resolve() : reject(err as Error)) });
      // Written a moment later, with the settlements of the deliveries that answer meanwhile: on
      // SQLite a settle runs synchronously, so without the wait every row would commit alone.
      if (!this.writing) {
        this.writing = true;
        setTimeout(() => void this.drain(), SETTLE_DELAY_MS);
      }
    });
  }

  private async drain(): Promise<void> {
    try {
      while (this.queue.length) {
        const batch = this.queue.splice(0, 256);
        try {
          await outbox.settle(
            this.db,
            batch.map((b) => b.s),
          );
          for (const b of batch) b.done();
        } catch (err) {
          for (const b of batch) b.done(err);
        }
      }
    } finally {
      this.writing = false;
    }
  }
}
