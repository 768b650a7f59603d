import { cleanEnv, num, str, bool, makeValidator, EnvError } from 'envalid';
import { checkRsin } from './domain/rsin.js';

/** Where the data lives: an SQLite file (the embedded default) or a PostgreSQL server. */
export type DatabaseConfig = { client: 'sqlite'; filename: string } | { client: 'pg'; connectionString: string };

export function parseDatabaseUrl(value: string): DatabaseConfig {
  if (value.startsWith('sqlite:')) {
    const filename = value.slice('sqlite:'.length).replace(/^\/\/(?=\/)/, '');
    if (!filename) throw new EnvError('DATABASE_URL: sqlite: needs a file path, e.g. sqlite:data/kic.sqlite');
    return { client: 'sqlite', filename };
  }
  if (/^postgres(ql)?:\/\//.test(value)) return { client: 'pg', connectionString: value };
  throw new EnvError('DATABASE_URL must be sqlite:<path> or postgres://…');
}

const databaseUrl = makeValidator(parseDatabaseUrl);

/** A public base URL without a trailing slash: resource URLs are `${publicUrl}/api/v1/…`. */
const baseUrl = makeValidator((value: string) => {
  let parsed: URL;
  try {
    parsed = new URL(value);
  } catch {
    throw new EnvError(`not a URL: ${value}`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new EnvError('must be an http(s) URL');
  if (parsed.search || parsed.hash) throw new EnvError('must not have a query or fragment');
  return parsed.toString().replace(/\/+$/, '');
});

/** The bronorganisatie of klanten that get none from their client (legacy API, imports): a valid RSIN. */
export const DEFAULT_BRONORGANISATIE = '517439943';

const rsin = makeValidator((value: string) => {
  const problem = checkRsin(value, 'RSIN');
  if (problem) throw new EnvError(`not a valid RSIN: ${problem.reason}`);
  return value;
});

/** A whole number within bounds, e.g. how many deliveries run at once. */
const boundedInt = (min: number, max: number) =>
  makeValidator((value: string) => {
    const n = Number(value);
    if (!/^\s*\d+\s*$/.test(value) || n < min || n > max)
      throw new EnvError(`must be a whole number from ${min} to ${max}`);
    return n;
  });
const deliveriesInFlight = boundedInt(1, 256);

/** Every setting of the component, read from the environment once and validated. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env) {
  const e = cleanEnv(
    env,
    {
      PORT: num({ default: 8000, desc: 'HTTP port; 0 lets the operating system pick one' }),
      HOST: str({ default: '0.0.0.0', desc: 'Address to listen on' }),
      DATABASE_URL: databaseUrl({
        default: parseDatabaseUrl('sqlite:data/kic.sqlite'),
        desc: 'sqlite:<file> or postgres://…',
      }),
      KIC_PUBLIC_URL: baseUrl({
        default: 'http://localhost:8000',
        desc: 'Public base URL of this component, used in every resource URL',
      }),
      KIC_DEFAULT_BRONORGANISATIE: rsin({
        default: DEFAULT_BRONORGANISATIE,
        desc: 'RSIN recorded as bronorganisatie of klanten created without one (legacy Klantinteracties API, imports)',
      }),
      KIC_COMPONENT: str({ default: 'kic', desc: 'Component code whose scopes count (Autorisaties API)' }),
      KIC_AC_URL: baseUrl({
        default: undefined,
        desc: 'Autorisaties API root; unset: scopes from the local applicaties',
      }),
      KIC_AC_CACHE_SECONDS: num({ default: 300, desc: 'How long an Autorisaties API answer is reused' }),
      KIC_JWT_EXPIRY_SECONDS: num({ default: 3600, desc: 'A token expires this long after its iat' }),
      KIC_JWT_LEEWAY_SECONDS: num({ default: 5, desc: 'Clock skew tolerated on iat/exp/nbf' }),
      KIC_OUTGOING_TIMEOUT_MS: num({ default: 10_000, desc: 'Timeout of every outgoing HTTP call' }),
      KIC_SYNC_POLL_MS: num({ default: 1000, desc: 'How often the outbox worker looks for work when not woken' }),
      KIC_SYNC_WAIT_MS: num({
        default: 2000,
        desc: 'How long a verzoekinformatieobject create waits for the first DRC delivery',
      }),
      KIC_SYNC_LEASE_MS: num({
        default: 60_000,
        desc: "How long a worker holds outbox rows it claimed; a crashed worker's rows come back after this",
      }),
      KIC_SYNC_CONCURRENCY: deliveriesInFlight({
        default: 16,
        desc: 'How many outbox deliveries a worker has in flight at once (a remote DRC far away wants more)',
      }),
      KIC_SYNC_WORKER: bool({
        default: true,
        desc: 'Run the outbox worker inside kic serve (false: run kic worker separately)',
      }),
      KIC_CREATE_DEMO_CLIENT: bool({
        default: true,
        desc: 'Create a demo API client on the first start of an empty database',
      }),
      KIC_CREATE_FIRST_ADMIN: bool({
        default: true,
        desc: 'Create an admin user with a random password on the first start of an empty database',
      }),
      KIC_TRUST_PROXY: num({
        default: 0,
        desc: 'How many reverse proxies in front of kic add X-Forwarded-For; 0 trusts none (the admin limits logins per client address)',
      }),
      KIC_ADMIN_IDLE_MINUTES: num({ default: 30, desc: 'An admin session ends after this many minutes without use' }),
      LOG_LEVEL: str({ choices: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], default: 'info' }),
    },
    {
      reporter: ({ errors }) => {
        const problems = Object.entries(errors).map(([key, err]) => `${key}: ${(err as Error).message}`);
        if (problems.length) throw new Error(`invalid configuration:\n  ${problems.join('\n  ')}`);
      },
    },
  );
  return Object.freeze({
    port: e.PORT,
    host: e.HOST,
    database: e.DATABASE_URL,
    publicUrl: e.KIC_PUBLIC_URL,
    component: e.KIC_COMPONENT,
    defaultBronorganisatie: e.KIC_DEFAULT_BRONORGANISATIE,
    ac: e.KIC_AC_URL ? { apiRoot: e.KIC_AC_URL, cacheSeconds: e.KIC_AC_CACHE_SECONDS } : undefined,
    jwt: { expirySeconds: e.KIC_JWT_EXPIRY_SECONDS, leewaySeconds: e.KIC_JWT_LEEWAY_SECONDS },
    outgoingTimeoutMs: e.KIC_OUTGOING_TIMEOUT_MS,
    sync: {
      pollMs: e.KIC_SYNC_POLL_MS,
      waitMs: e.KIC_SYNC_WAIT_MS,
      leaseMs: e.KIC_SYNC_LEASE_MS,
      concurrency: e.KIC_SYNC_CONCURRENCY,
      inProcess: e.KIC_SYNC_WORKER,
    },
    createDemoClient: e.KIC_CREATE_DEMO_CLIENT,
    admin: { createFirst: e.KIC_CREATE_FIRST_ADMIN, idleMinutes: e.KIC_ADMIN_IDLE_MINUTES },
    trustProxy: e.KIC_TRUST_PROXY,
    logLevel: e.LOG_LEVEL,
  });
}

export type Config = ReturnType<typeof loadConfig>;

/** A printable form of the database setting: never a password. */
export function describeDatabase(db: DatabaseConfig): string {
  if (db.client === 'sqlite') return `sqlite:${db.filename}`;
  const u = new URL(db.connectionString);
  if (u.password) u.password = '***';
  return u.toString();
}
