import type pg from 'pg';
import type { Config } from '../config.js';
import type { Db } from '../db/knex.js';
import { dialectOf } from '../db/knex.js';
import { Urls } from '../domain/urls.js';
import type { Logger } from '../logger.js';
import { registeredServicesHttp } from '../remote/http.js';
import { DrcDestination } from './drc.js';
import { OutboxSyncPort } from './port.js';
import { OutboxWorker } from './worker.js';

export interface Sync {
  worker: OutboxWorker;
  port: OutboxSyncPort;
  start(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * The outbox worker with its destinations, and on PostgreSQL a LISTEN connection so that rows
 * queued by any writer (another instance, psql, an import) wake it at once instead of at the
 * next poll.
 */
export function createSync(o: {
  config: Config;
  db: Db;
  log: Logger;
  backoff?: (attempts: number) => number;
  leaseMs?: number;
}): Sync {
  const urls = new Urls(o.config.publicUrl);
  const http = registeredServicesHttp(o.db, o.config.outgoingTimeoutMs);
  const worker = new OutboxWorker({
    db: o.db,
    log: o.log,
    destinations: [new DrcDestination(o.db, http, (uuid) => urls.of('verzoeken', uuid))],
    pollMs: o.config.sync.pollMs,
    ...(o.backoff ? { backoff: o.backoff } : {}),
    leaseMs: o.leaseMs ?? o.config.sync.leaseMs,
  });
  const port = new OutboxSyncPort(o.db, (id) => worker.nudge(id), o.config.sync.waitMs);
  let listener: pg.Client | undefined;

  return {
    worker,
    port,
    async start() {
      if (dialectOf(o.db) === 'pg' && o.config.database.client === 'pg') {
        const { Client } = (await import('pg')).default;
        listener = new Client({ connectionString: o.config.database.connectionString });
        listener.on('notification', () => worker.nudge());
        listener.on('error', (err) => o.log.warn({ err }, 'outbox LISTEN connection lost; polling only'));
        try {
          await listener.connect();
          await listener.query('LISTEN kic_outbox');
        } catch (err) {
          o.log.warn({ err }, 'could not LISTEN for outbox rows; polling only');
        }
      }
      worker.start();
    },
    async stop() {
      await worker.stop();
      await listener?.end().catch(() => undefined);
    },
  };
}
