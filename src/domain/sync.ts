/** How the first delivery attempt of a mirrored change went. */
export type FirstAttempt = { state: 'delivered' } | { state: 'pending' } | { state: 'refused'; reason: string };

/**
 * What the domain needs from the outbox worker: a wake-up after a write that queued events, and
 * the outcome of the first delivery of one (the API waits briefly for it, as kic-001 asks).
 */
export interface SyncPort {
  nudge(): void;
  firstAttempt(destination: string, aggregateId: string): Promise<FirstAttempt>;
}
