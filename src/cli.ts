import { Command, Option } from 'commander';
import { randomBytes } from 'node:crypto';
import { loadConfig, type Config } from './config.js';
import { createLogger } from './logger.js';
import { createDb, type Db } from './db/knex.js';
import { migrateToLatest } from './db/migrate.js';
import * as applicaties from './db/applicaties.js';
import * as services from './db/services.js';
import { signZgwToken } from './auth/jwt-zgw.js';
import { GRANTABLE_SCOPES } from './auth/scopes.js';
import { startServer } from './server.js';
import * as outbox from './db/outbox.js';
import { Urls } from './domain/urls.js';
import { registeredServicesHttp } from './remote/http.js';
import { createSync } from './sync/index.js';
import { reconcile } from './sync/reconcile.js';
import { createInterface } from 'node:readline/promises';
import * as adminUsers from './db/admin-users.js';
import { hashPassword, passwordProblem, randomPassword } from './admin/passwords.js';

/** Runs `fn` with a migrated database and closes it afterwards. */
async function withDb<T>(fn: (db: Db, config: Config) => Promise<T>): Promise<T> {
  const config = loadConfig();
  const db = createDb(config.database);
  try {
    await migrateToLatest(db);
    return await fn(db, config);
  } finally {
    await db.destroy();
  }
}

const out = (line: string) => process.stdout.write(`${line}\n`);

const program = new Command('kic').description('Klantinteracties component (VNG Klantinteracties API 1.0.0-rc1)');

program
  .command('serve', { isDefault: true })
  .description('migrate the database and serve the API')
  .action(async () => {
    const config = loadConfig();
    const log = createLogger(config.logLevel);
    // Signals are handled from the start: a stop during start-up waits for it, then shuts down.
    let stopping = false;
    const starting = startServer(config, log);
    const stop = (signal: string) => {
      if (stopping) process.exit(1); // a second signal: stop at once
      stopping = true;
      log.info({ signal }, 'shutting down');
      starting
        .then((running) => running.close())
        .then(
          () => process.exit(0),
          (err: unknown) => {
            log.error({ err }, 'shutdown failed');
            process.exit(1);
          },
        );
    };
    process.on('SIGINT', () => stop('SIGINT'));
    process.on('SIGTERM', () => stop('SIGTERM'));
    await starting;
  });

program
  .command('worker')
  .description('run only the outbox worker (mirroring into the DRC), e.g. beside instances with KIC_SYNC_WORKER=false')
  .action(async () => {
    const config = loadConfig();
    const log = createLogger(config.logLevel);
    const db = createDb(config.database);
    await migrateToLatest(db);
    const sync = createSync({ config, db, log, wakeOnCommits: true });
    await sync.start();
    log.info('outbox worker running');
    let stopping = false;
    const stop = () => {
      if (stopping) process.exit(1);
      stopping = true;
      sync
        .stop()
        .then(() => db.destroy())
        .then(
          () => process.exit(0),
          () => process.exit(1),
        );
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });

const sync = program.command('sync').description('the mirroring of verzoekinformatieobjecten into the DRC');
sync
  .command('status')
  .description('pending and failed deliveries, with their last error')
  .option('--json', 'machine-readable output', false)
  .action((o: { json: boolean }) =>
    withDb(async (db) => {
      const now = Date.now();
      const s = await outbox.summary(db);
      const open = await outbox.listOpen(db);
      if (o.json) {
        out(JSON.stringify({ ...s, rows: open }, null, 2));
        return;
      }
      const age = s.oldestOpenCreatedAt === null ? '-' : `${Math.round((now - s.oldestOpenCreatedAt) / 1000)} s`;
      out(`pending ${s.pending}, failed ${s.failed}, oldest open ${age}`);
      for (const r of open) {
        const next =
          r.state === 'failed'
            ? 'needs a person: kic sync retry ' + r.id
            : `next attempt ${new Date(Number(r.available_at)).toISOString()}`;
        out(`#${r.id}	${r.state}	${r.event}	${r.aggregate_id}	attempts ${r.attempts}	${next}	${r.last_error ?? ''}`);
      }
    }),
  );
sync
  .command('retry [id]')
  .description('make one failed or waiting delivery (or --all) due now')
  .option('--all', 'every pending and failed delivery', false)
  .action((id: string | undefined, o: { all: boolean }) =>
    withDb(async (db) => {
      if (!o.all && id === undefined) throw new Error('give an outbox id or --all');
      const n = await outbox.retryNow(db, Date.now(), o.all ? undefined : Number(id));
      out(`${n} deliveries due now`);
    }),
  );
sync
  .command('reconcile')
  .description("compare our relations with the DRC's objectinformatieobjecten and queue what is missing")
  .option('--verzoek <uuid>', 'only this verzoek')
  .option('--drc <api-root>', 'also ask this Documenten API (a registered service)')
  .action((o: { verzoek?: string; drc?: string }) =>
    withDb(async (db, config) => {
      const urls = new Urls(config.publicUrl);
      const http = registeredServicesHttp(db, config.outgoingTimeoutMs);
      const report = await reconcile(db, http, {
        verzoekUrl: (uuid) => urls.of('verzoeken', uuid),
        ...(o.verzoek ? { verzoek: o.verzoek } : {}),
        ...(o.drc ? { extraRoots: [o.drc] } : {}),
      });
      out(
        `${report.verzoeken} verzoeken compared; queued ${report.queuedCreates} creates and ${report.queuedDeletes} deletes`,
      );
      for (const e of report.errors) out(`error: ${e}`);
      if (report.errors.length) process.exitCode = 1;
    }),
  );

program
  .command('migrate')
  .description('bring the database schema up to date and exit')
  .action(() =>
    withDb(async () => {
      out('database is up to date');
    }),
  );

const applicatie = program.command('applicatie').description('client applications allowed to call the API');
applicatie
  .command('add')
  .description('register (or replace) a client application')
  .requiredOption('--client-id <id>', 'the client_id its tokens carry')
  .option('--secret <secret>', 'shared secret for HS256 (default: a random one, printed once)')
  .option('--label <label>', 'a name for people', '')
  .option('--scopes <scopes>', `comma-separated scopes (${GRANTABLE_SCOPES.join(', ')})`, '')
  .option('--all', 'heeftAlleAutorisaties: every scope', false)
  .action((o: { clientId: string; secret?: string; label: string; scopes: string; all: boolean }) =>
    withDb(async (db) => {
      const scopes = o.scopes
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
      const unknown = scopes.filter((s) => !(GRANTABLE_SCOPES as readonly string[]).includes(s));
      if (unknown.length) throw new Error(`unknown scopes: ${unknown.join(', ')}`);
      const secret = o.secret ?? randomBytes(18).toString('base64url');
      await applicaties.upsert(db, {
        clientId: o.clientId,
        secret,
        label: o.label,
        heeftAlleAutorisaties: o.all,
        scopes,
      });
      out(`applicatie ${o.clientId} saved${o.secret ? '' : `; its secret (shown once): ${secret}`}`);
    }),
  );
applicatie
  .command('list')
  .description('list client applications (without secrets)')
  .action(() =>
    withDb(async (db) => {
      for (const a of await applicaties.list(db)) {
        out(`${a.clientId}\t${a.heeftAlleAutorisaties ? 'heeftAlleAutorisaties' : a.scopes.join(',')}\t${a.label}`);
      }
    }),
  );
applicatie
  .command('remove')
  .description('remove a client application')
  .requiredOption('--client-id <id>')
  .action((o: { clientId: string }) =>
    withDb(async (db) => {
      if (!(await applicaties.remove(db, o.clientId))) throw new Error(`no applicatie ${o.clientId}`);
      out(`applicatie ${o.clientId} removed`);
    }),
  );

const service = program.command('service').description('other APIs this component may call (DRC, ZRC, AC, …)');
service
  .command('add')
  .description('register (or replace) a service and the credentials for calling it')
  .requiredOption('--api-root <url>', 'API root, e.g. https://drc.example/api/v1/')
  .option('--client-id <id>', 'client_id for our outgoing JWT', '')
  .option('--secret <secret>', 'secret for our outgoing JWT', '')
  .option('--label <label>', 'a name for people', '')
  .option('--user-id <id>', 'user_id claim', '')
  .option('--user-representation <name>', 'user_representation claim', '')
  .action(
    (o: {
      apiRoot: string;
      clientId: string;
      secret: string;
      label: string;
      userId: string;
      userRepresentation: string;
    }) =>
      withDb(async (db) => {
        const root = new URL(o.apiRoot);
        if (root.protocol !== 'http:' && root.protocol !== 'https:')
          throw new Error('--api-root must be an http(s) URL');
        const apiRoot = root.href.endsWith('/') ? root.href : `${root.href}/`;
        await services.upsert(db, {
          apiRoot,
          label: o.label,
          clientId: o.clientId,
          secret: o.secret,
          userId: o.userId,
          userRepresentation: o.userRepresentation,
        });
        out(`service ${apiRoot} saved`);
      }),
  );
service
  .command('list')
  .description('list services (without secrets)')
  .action(() =>
    withDb(async (db) => {
      for (const s of await services.list(db)) out(`${s.apiRoot}\t${s.clientId}\t${s.label}`);
    }),
  );
service
  .command('remove')
  .description('remove a service')
  .requiredOption('--api-root <url>')
  .action((o: { apiRoot: string }) =>
    withDb(async (db) => {
      const apiRoot = o.apiRoot.endsWith('/') ? o.apiRoot : `${o.apiRoot}/`;
      if (!(await services.remove(db, apiRoot)) && !(await services.remove(db, o.apiRoot)))
        throw new Error(`no service ${o.apiRoot}`);
      out(`service ${apiRoot} removed`);
    }),
  );

program
  .command('token')
  .description('print a JWT-ZGW token for a registered client application, for trying the API with curl')
  .requiredOption('--client-id <id>')
  .addOption(new Option('--user-id <id>', 'user_id claim').default(''))
  .addOption(new Option('--user-representation <name>', 'user_representation claim').default(''))
  .action((o: { clientId: string; userId: string; userRepresentation: string }) =>
    withDb(async (db) => {
      const a = await applicaties.findByClientId(db, o.clientId);
      if (!a) throw new Error(`no applicatie ${o.clientId}; add it with: kic applicatie add --client-id ${o.clientId}`);
      out(
        await signZgwToken({
          clientId: a.clientId,
          secret: a.secret,
          userId: o.userId,
          userRepresentation: o.userRepresentation,
        }),
      );
    }),
  );

/**
 * A password typed by a person (not echoed) or the first line of piped input. Never from an
 * argument: those end up in shell histories and process lists.
 */
async function askPassword(): Promise<string> {
  const rl = createInterface({ input: process.stdin, output: process.stdout, terminal: process.stdin.isTTY });
  if (process.stdin.isTTY) {
    process.stdout.write('Password (at least 12 characters): ');
    (rl as unknown as { _writeToOutput: (s: string) => void })._writeToOutput = () => undefined;
  }
  const answer = await rl.question('');
  rl.close();
  if (process.stdin.isTTY) process.stdout.write('\n');
  const problem = passwordProblem(answer);
  if (problem)
    throw new Error(
      problem.replace('Een wachtwoord heeft minstens 12 tekens.', 'a password needs at least 12 characters'),
    );
  return answer;
}

/** The password to set: asked (--ask) or a random one that is printed once. */
async function newPassword(ask: boolean): Promise<{ password: string; printed: boolean }> {
  return ask ? { password: await askPassword(), printed: false } : { password: randomPassword(), printed: true };
}

const user = program.command('user').description('people who use the admin interface (/admin)');
user
  .command('add')
  .description('add an admin interface user; prints a random password unless --ask')
  .requiredOption('--username <name>')
  .addOption(new Option('--role <role>', 'what the user may do').choices([...adminUsers.ROLES]).makeOptionMandatory())
  .option('--ask', 'ask for the password (or read it from standard input) instead of generating one', false)
  .action((o: { username: string; role: adminUsers.Role; ask: boolean }) =>
    withDb(async (db) => {
      if (!/^[\w.@-]{1,100}$/.test(o.username)) throw new Error('a username has 1-100 letters, digits or . _ - @');
      const { password, printed } = await newPassword(o.ask);
      if (
        !(await adminUsers.add(db, { username: o.username, role: o.role, passwordHash: await hashPassword(password) }))
      )
        throw new Error(`user ${o.username} exists already`);
      out(`user ${o.username} (${o.role}) added${printed ? `; password (shown once): ${password}` : ''}`);
    }),
  );
user
  .command('list')
  .description('list admin interface users and their roles')
  .action(() =>
    withDb(async (db) => {
      for (const u of await adminUsers.list(db))
        out(`${u.username}\t${u.role}\t${new Date(u.createdAt).toISOString()}`);
    }),
  );
user
  .command('remove')
  .description('remove an admin interface user (their sessions end)')
  .requiredOption('--username <name>')
  .action((o: { username: string }) =>
    withDb(async (db) => {
      if (!(await adminUsers.remove(db, o.username))) throw new Error(`no user ${o.username}`);
      out(`user ${o.username} removed`);
    }),
  );
user
  .command('passwd')
  .description("set a new password (random and printed unless --ask); the user's sessions end")
  .requiredOption('--username <name>')
  .option('--ask', 'ask for the password (or read it from standard input)', false)
  .action((o: { username: string; ask: boolean }) =>
    withDb(async (db) => {
      const { password, printed } = await newPassword(o.ask);
      if (!(await adminUsers.setPassword(db, o.username, await hashPassword(password))))
        throw new Error(`no user ${o.username}`);
      out(`password of ${o.username} changed${printed ? `; new password (shown once): ${password}` : ''}`);
    }),
  );

program.parseAsync().catch((err: unknown) => {
  process.stderr.write(`kic: ${(err as Error).message}\n`);
  process.exit(1);
});
