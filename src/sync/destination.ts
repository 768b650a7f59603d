import type { OutboxRow } from '../db/outbox.js';

/** What one delivery attempt came to. */
export type Outcome =
  /**
   * link: where the aggregate now lives at the destination (remote_links), recorded in the
   * transaction that marks the row done: one commit per batch instead of one more per row.
   */
  | { ok: true; result?: string; link?: string }
  /** permanent: the remote side refused (4xx); retrying will not help until a person looks. */
  | { ok: false; permanent: boolean; error: string; result?: string };

/** Where outbox rows of one `destination` go (the DRC now; notifications and webhooks later). */
export interface Destination {
  name: string;
  deliver(row: OutboxRow): Promise<Outcome>;
  /** Rows with the same key are delivered one after the other (default: per aggregate). */
  orderingKey?(row: OutboxRow): string;
}
