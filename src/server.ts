import { randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import { createApp } from './app.js';
import { describeDatabase, type Config } from './config.js';
import * as applicaties from './db/applicaties.js';
import { createDb, type Db } from './db/knex.js';
import { migrateToLatest } from './db/migrate.js';
import type { Logger } from './logger.js';
import { createSync, portToWorkerElsewhere } from './sync/index.js';
import { SCOPES } from './auth/scopes.js';
import { hashPassword, randomPassword } from './admin/passwords.js';
import * as adminUsers from './db/admin-users.js';

export interface RunningServer {
  server: Server;
  db: Db;
  /** The port actually bound (PORT=0 picks a free one). */
  port: number;
  close(): Promise<void>;
}

export const DEMO_CLIENT_ID = 'kic-demo';

/**
 * Migrates, creates the demo client on the first start of an empty database, and listens.
 * Several instances may do this at once against one PostgreSQL database.
 */
export async function startServer(config: Config, log: Logger): Promise<RunningServer> {
  const db = createDb(config.database);
  const applied = await migrateToLatest(db);
  if (applied.length) log.info({ applied }, 'database migrated');
  if (config.createDemoClient && (await applicaties.count(db)) === 0) await createDemoClient(db, config, log);
  if (config.admin.createFirst) await createFirstAdmin(db, config, log);

  // The outbox worker runs here unless KIC_SYNC_WORKER=false (then `kic worker` runs it alone).
  const sync = config.sync.inProcess ? createSync({ config, db, log }) : undefined;
  const app = await createApp({ config, db, log, sync: sync?.port ?? portToWorkerElsewhere(db, config) });
  await sync?.start();
  const server = await new Promise<Server>((resolve, reject) => {
    const s = app.listen(config.port, config.host, () => resolve(s));
    s.once('error', reject);
  });
  server.keepAliveTimeout = 65_000; // longer than common proxies' idle timeout, so they never reuse a closed socket
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  log.info({ port, database: describeDatabase(config.database), publicUrl: config.publicUrl }, 'kic listening');
  return {
    server,
    db,
    port,
    close: async () => {
      // Stop taking requests, let the worker settle its batch (leases cover a hard kill), close the pool.
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await sync?.stop();
      await db.destroy();
    },
  };
}

async function createDemoClient(db: Db, config: Config, log: Logger): Promise<void> {
  const secret = randomBytes(18).toString('base64url');
  await applicaties.upsert(db, {
    clientId: DEMO_CLIENT_ID,
    secret,
    label: 'Demo client',
    heeftAlleAutorisaties: false,
    scopes: [...SCOPES],
  });
  log.info({ clientId: DEMO_CLIENT_ID }, 'created a demo API client');
  // Shown once, on the console of whoever started the component; never logged as a field.
  process.stderr.write(
    [
      '',
      `  A demo API client was created: client_id "${DEMO_CLIENT_ID}", secret "${secret}" (all klanten.* scopes).`,
      '  Get a token for it with:',
      `    ./bin/kic.js token --client-id ${DEMO_CLIENT_ID}`,
      `  and call the API: curl -H "Authorization: Bearer <token>" ${config.publicUrl}/api/v1/klanten`,
      '',
    ].join('\n') + '\n',
  );
}

export const FIRST_ADMIN = 'admin';

/** The first start of an empty database gets one admin user; its password is printed once. */
async function createFirstAdmin(db: Db, config: Config, log: Logger): Promise<void> {
  if ((await adminUsers.count(db)) > 0) return;
  const password = randomPassword();
  if (
    !(await adminUsers.addIfNone(db, {
      username: FIRST_ADMIN,
      passwordHash: await hashPassword(password),
      role: 'admin',
    }))
  )
    return; // another instance was first
  log.info({ username: FIRST_ADMIN }, 'created the first admin user');
  process.stderr.write(
    [
      '',
      `  The admin interface: ${config.publicUrl}/admin`,
      `  An admin user was created: username "${FIRST_ADMIN}", password "${password}" (shown once).`,
      '  Add people with: ./bin/kic.js user add --username <name> --role viewer|editor|approver|admin',
      '',
    ].join('\n') + '\n',
  );
}
