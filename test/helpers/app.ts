import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Knex } from 'knex';
import { createApp, type AppDeps } from '../../src/app.js';
import { loadConfig, type Config } from '../../src/config.js';
import * as applicaties from '../../src/db/applicaties.js';
import { createLogger } from '../../src/logger.js';
import { createSync, portToWorkerElsewhere, type Sync } from '../../src/sync/index.js';
import { DIALECTS, emptyResources, freshDatabase, type Dialect, type TestDatabase } from './databases.js';
import { assertMatchesSpec } from './spec-check.js';
import { CLIENTS, tokenFor, type TestClient } from './tokens.js';

export interface ApiResponse<T = any> {
  status: number;
  headers: Headers;
  body: T;
  text: string;
}

export interface RequestOptions {
  client?: TestClient | null;
  token?: string | null;
  headers?: Record<string, string>;
  /** A raw body string (sent as is); objects are sent as JSON. */
  raw?: string;
}

/** A running component on a loopback port with a client that checks every answer against the spec. */
export class TestApi {
  constructor(
    readonly baseUrl: string,
    readonly config: Config,
  ) {}

  url(path: string): string {
    return path.startsWith('http') ? path : `${this.baseUrl}${path}`;
  }

  async request<T = any>(
    method: string,
    path: string,
    body?: unknown,
    o: RequestOptions = {},
  ): Promise<ApiResponse<T>> {
    const headers: Record<string, string> = { ...o.headers };
    const token = o.token !== undefined ? o.token : o.client === null ? null : await tokenFor(o.client ?? CLIENTS.all);
    if (token) headers['authorization'] = `Bearer ${token}`;
    let payload: string | undefined = o.raw;
    if (body !== undefined) {
      payload = JSON.stringify(body);
      headers['content-type'] ??= 'application/json';
    }
    const res = await fetch(this.url(path), { method, headers, body: payload });
    const text = await res.text();
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = text;
    }
    await assertMatchesSpec(method, this.url(path), res.status, res.headers, parsed);
    return { status: res.status, headers: res.headers, body: parsed as T, text };
  }

  get = <T = any>(path: string, o?: RequestOptions) => this.request<T>('GET', path, undefined, o);
  head = (path: string, o?: RequestOptions) => this.request('HEAD', path, undefined, o);
  post = <T = any>(path: string, body: unknown, o?: RequestOptions) => this.request<T>('POST', path, body, o);
  put = <T = any>(path: string, body: unknown, o?: RequestOptions) => this.request<T>('PUT', path, body, o);
  patch = <T = any>(path: string, body: unknown, o?: RequestOptions) => this.request<T>('PATCH', path, body, o);
  delete = (path: string, o?: RequestOptions) => this.request('DELETE', path, undefined, o);
}

export interface ApiTestContext {
  dialect: Dialect;
  /** The running component (its outbox worker, when started with { sync: true }). */
  started: () => StartedApp;
  db: () => Knex;
  api: () => TestApi;
  database: () => TestDatabase;
}

export interface StartedApp {
  api: TestApi;
  sync?: Sync;
  close(): Promise<void>;
}

/** Starts the component in-process on 127.0.0.1 with a free port; its public URL is that address. */
export interface StartOptions {
  /** Run the outbox worker in-process, as kic serve does (retries after `retryMs`, not minutes). */
  sync?: boolean | { retryMs?: number; wakeOnCommits?: boolean };
  /** No worker here, but creates wait for one elsewhere (`kic worker`), as kic serve with KIC_SYNC_WORKER=false. */
  workerElsewhere?: boolean;
}

export async function startApp(
  db: Knex,
  env: Record<string, string> = {},
  deps: Partial<AppDeps> = {},
  options: StartOptions = {},
): Promise<StartedApp> {
  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const baseUrl = `http://127.0.0.1:${port}`;
  const config = loadConfig({ KIC_PUBLIC_URL: baseUrl, LOG_LEVEL: 'silent', KIC_SYNC_POLL_MS: '200', ...env });
  const log = createLogger(process.env['TEST_LOG_LEVEL'] ?? 'silent');
  const retryMs = typeof options.sync === 'object' ? (options.sync.retryMs ?? 100) : 100;
  const wakeOnCommits = typeof options.sync === 'object' && options.sync.wakeOnCommits === true;
  const sync = options.sync ? createSync({ config, db, log, backoff: () => retryMs, wakeOnCommits }) : undefined;
  const syncPort = sync?.port ?? (options.workerElsewhere ? portToWorkerElsewhere(db, config) : undefined);
  const app = await createApp({ config, db, log, ...(syncPort ? { sync: syncPort } : {}), ...deps });
  await sync?.start();
  server.on('request', app);
  return {
    api: new TestApi(baseUrl, config),
    ...(sync ? { sync } : {}),
    close: async () => {
      await new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      });
      await sync?.stop();
    },
  };
}

export async function registerClients(db: Knex): Promise<void> {
  for (const c of Object.values(CLIENTS) as TestClient[]) {
    await applicaties.upsert(db, {
      clientId: c.clientId,
      secret: c.secret,
      label: c.clientId,
      heeftAlleAutorisaties: !!c.all,
      scopes: c.scopes,
    });
  }
}

/**
 * Runs `body` once per database engine against a fresh database and a running component.
 * The resource tables are emptied before each test; clients and services stay.
 */
export function describeApi(
  title: string,
  body: (t: ApiTestContext) => void,
  env: Record<string, string> = {},
  options: StartOptions = {},
): void {
  for (const dialect of DIALECTS) {
    describe(`${title} [${dialect}]`, function () {
      let database: TestDatabase;
      let started: StartedApp;
      before(async function () {
        this.timeout(30_000);
        database = await freshDatabase(dialect);
        await registerClients(database.db);
        // The configuration names the database the suite runs on, as kic serve's would.
        started = await startApp(database.db, { DATABASE_URL: database.url, ...env }, {}, options);
      });
      beforeEach(async () => {
        await emptyResources(database.db);
      });
      after(async () => {
        await started?.close();
        await database?.drop();
      });
      body({
        dialect,
        db: () => database.db,
        api: () => started.api,
        database: () => database,
        started: () => started,
      });
    });
  }
}
