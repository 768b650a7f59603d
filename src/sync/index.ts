import type { Config } from '../config.js';
import type { Db } from '../db/knex.js';
import { dialectOf } from '../db/knex.js';
import { Urls } from '../domain/urls.js';
import type { Logger } from '../logger.js';
import { registeredServicesHttp } from '../remote/http.js';
import { DrcDestination } from './drc.js';
import { listenForOutbox, type OutboxListener } from './listen.js';
import { OutboxSyncPort } from './port.js';
import { watchSqliteWrites, type SqliteWriteWatcher } from './watch-sqlite.js';
import { OutboxWorker } from './worker.js';

export interface Sync {
  worker: OutboxWorker;
  port: OutboxSyncPort;
  start(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * The outbox worker with its destinations, woken at once instead of at its next poll when any
 * writer (another instance, psql or sqlite3, an import) queues rows: on PostgreSQL by a LISTEN
 * connection, on SQLite (`wakeOnCommits`) by a watch on the database's WAL file.
 */
export function createSync(o: {
  config: Config;
  db: Db;
  log: Logger;
  backoff?: (attempts: number) => number;
  leaseMs?: number;
  /**
   * On SQLite, wake at every commit to the database file, whoever makes it (see watchSqliteWrites):
   * for `kic worker`. Inside `kic serve` the API's own writes nudge the worker, and a watch there
   * would cost every API commit ~30 µs of its event loop for the rare outside writer.
   */
  wakeOnCommits?: boolean;
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
  let watcher: SqliteWriteWatcher | undefined;

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
      if (o.config.database.client === 'sqlite' && o.wakeOnCommits)
        watcher = watchSqliteWrites({ filename: o.config.database.filename, wake: () => worker.nudge(), log: o.log });
      worker.start();
    },
    async stop() {
      watcher?.stop();
      await worker.stop();
      await listener?.stop();
    },
  };
}

/**
 * The SyncPort of an instance whose worker runs elsewhere (KIC_SYNC_WORKER=false beside `kic
 * worker`): a create still waits for its first delivery attempt, which that worker records in the
 * outbox, and answers 400 when the DRC refuses. The worker wakes by itself at the commit (NOTIFY
 * on PostgreSQL, its watch on the WAL file on SQLite).
 */
export function portToWorkerElsewhere(db: Db, config: Config): OutboxSyncPort {
  return new OutboxSyncPort(db, () => undefined, config.sync.waitMs);
}
