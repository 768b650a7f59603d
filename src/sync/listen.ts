import type { Logger } from '../logger.js';

/** How long to wait before connecting again after the LISTEN connection was lost (doubling). */
const RECONNECT_FIRST_MS = 1000;
const RECONNECT_MAX_MS = 30_000;

export interface OutboxListener {
  stop(): Promise<void>;
}

/**
 * Keeps a PostgreSQL connection that LISTENs on `channel` and calls `wake` for each notification.
 * When the connection is lost (a database restart, a failover, a network cut) it connects again
 * with a growing delay, and wakes the worker once it is back: rows queued meanwhile are due. The
 * worker polls in the meantime, so nothing waits longer than a poll.
 */
export async function listenForOutbox(o: {
  connectionString: string;
  channel: string;
  wake: () => void;
  log: Logger;
}): Promise<OutboxListener> {
  const { Client } = (await import('pg')).default;
  let stopped = false;
  let client: InstanceType<typeof Client> | undefined;
  let retry: NodeJS.Timeout | undefined;
  let delay = RECONNECT_FIRST_MS;

  const connect = async (): Promise<void> => {
    retry = undefined;
    const c = new Client({ connectionString: o.connectionString });
    client = c;
    let lost = false;
    const onLost = (err?: Error) => {
      if (lost || stopped) return;
      lost = true;
      o.log.warn({ err, retryInMs: delay }, 'outbox LISTEN connection lost; polling until it is back');
      c.end().catch(() => undefined);
      schedule();
    };
    c.on('notification', () => o.wake());
    c.on('error', onLost);
    c.on('end', () => onLost());
    try {
      await c.connect();
      await c.query(`LISTEN ${c.escapeIdentifier(o.channel)}`);
      if (stopped) return void (await c.end().catch(() => undefined));
      if (delay > RECONNECT_FIRST_MS) {
        o.log.info('outbox LISTEN connection is back');
        o.wake();
      }
      delay = RECONNECT_FIRST_MS;
    } catch (err) {
      onLost(err as Error);
    }
  };
  const schedule = () => {
    if (stopped || retry) return;
    retry = setTimeout(() => void connect(), delay);
    retry.unref();
    delay = Math.min(delay * 2, RECONNECT_MAX_MS);
  };

  await connect();
  return {
    async stop() {
      stopped = true;
      if (retry) clearTimeout(retry);
      await client?.end().catch(() => undefined);
    },
  };
}
