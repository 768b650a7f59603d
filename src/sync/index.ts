import type { Config } from '../config.js';
import type { Db } from '../db/knex.js';
import { dialectOf } from '../db/knex.js';
import { Urls } from '../domain/urls.js';
import type { Logger } from '../logger.js';
import { registeredServicesHttp } from '../remote/http.js';
import { DrcDestination } from './drc.js';
import { listenForOutbox, type OutboxListener } from './listen.js';
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
    concurrency: o.config.sync.concurrency,
    ...(o.backoff ? { backoff: o.backoff } : {}),
    leaseMs: o.leaseMs ?? o.config.sync.leaseMs,
  });
  const port = new OutboxSyncPort(o.db, (id) => worker.nudge(id), o.config.sync.waitMs);
  let listener: OutboxListener | undefined;

  return {
    worker,
    port,
    async start() {
      if (dialectOf(o.db) === 'pg' && o.config.database.client === 'pg') {
        listener = await listenForOutbox({
          connectionString: o.config.database.connectionString,
          channel: 'kic_outbox',
          wake: () => worker.nudge(),
          log: o.log,
        });
      }
      worker.start();
    },
    async stop() {
      await worker.stop();
      await listener?.stop();
    },
  };
}
