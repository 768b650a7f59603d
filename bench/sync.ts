/**
 * `npm run bench:sync [-- --pg] [--worker-process] [--backlog N] [--samples N] [--sql-samples N] [--outage-ms MS] [--kic-cpu-prof DIR]`
 *
 * Measures the kic-001 mirroring of verzoekinformatieobjecten into a DRC, against the DRC test
 * double (test/helpers/drc-double.ts) on loopback, with `kic serve` running as its own process with its
 * default settings (in-process worker, KIC_SYNC_POLL_MS 1000, KIC_SYNC_WAIT_MS 2000):
 * 1. mirror lag of API creates: the trigger's outbox timestamp (the insert, just before commit)
 *    to the moment the double answers 201, p50/p99; and the API request time;
 * 2. mirror lag of relations inserted by SQL from another connection (an import): woken by
 *    NOTIFY on PostgreSQL, by the poll on SQLite;
 * 3. a backlog: N relations inserted by SQL while the DRC is down (its port closed), the DRC back
 *    after --outage-ms; the time until the last one is acknowledged, once with the worker's own
 *    backoff and once with an operator's `kic sync retry --all` at the moment it returns.
 * SQLite by default (a temporary file); PostgreSQL with --pg (DATABASE_URL if it is a postgres://
 * URL, else postgres://postgres@127.0.0.1:5432/postgres; a database of its own, dropped after).
 * With --worker-process the other supported deployment: `kic serve` with KIC_SYNC_WORKER=false
 * beside a `kic worker` process, so API requests (the DRC's calls back included) and deliveries
 * run on two event loops; API creates then answer without waiting for the first delivery, and
 * on SQLite the worker finds new rows by its poll. Reported in a section of its own.
 * Prints a table and writes bench/SYNC-RESULTS.md.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { createWriteStream, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import pg from 'pg';
import * as prettier from 'prettier';
import { signZgwToken } from '../src/auth/jwt-zgw.js';
import { SCOPES } from '../src/auth/scopes.js';
import { parseDatabaseUrl } from '../src/config.js';
import * as applicaties from '../src/db/applicaties.js';
import { createDb, type Db } from '../src/db/knex.js';
import { migrateToLatest } from '../src/db/migrate.js';
import * as outbox from '../src/db/outbox.js';
import { DrcTestDouble } from '../test/helpers/drc-double.js';
import { cpuSecondsOf, cpuSecondsOfAll } from './lib.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const RESULTS = join(ROOT, 'bench', 'SYNC-RESULTS.md');
const KIC_AT_DRC = { clientId: 'kic', secret: randomBytes(18).toString('base64url') };
const DOUBLE_AT_KIC = { clientId: 'drc-test-double', secret: randomBytes(18).toString('base64url') };
const BENCH = { clientId: 'bench', secret: randomBytes(18).toString('base64url') };
const DOCS_PER_VERZOEK = 100;

const { values: args } = parseArgs({
  options: {
    pg: { type: 'boolean', default: false },
    backlog: { type: 'string', default: '1000' },
    samples: { type: 'string', default: '300' },
    'sql-samples': { type: 'string', default: '30' },
    'outage-ms': { type: 'string', default: '5000' },
    'timeout-s': { type: 'string', default: '600' },
    /** A directory for kic's V8 CPU profile (node --cpu-prof), written when kic stops. */
    'kic-cpu-prof': { type: 'string', default: '' },
    /** `kic serve` without its worker, beside a `kic worker` process. */
    'worker-process': { type: 'boolean', default: false },
  },
});
const engine: Engine = args.pg ? 'pg' : 'sqlite';
const WORKER_PROCESS = args['worker-process'];
/** The section of SYNC-RESULTS.md this run replaces. */
type Section = Engine | `${Engine}-worker`;
const SECTIONS: Section[] = ['sqlite', 'pg', 'sqlite-worker', 'pg-worker'];
const section: Section = WORKER_PROCESS ? `${engine}-worker` : engine;
const N = Number(args.backlog);
const SAMPLES = Number(args.samples);
const SQL_SAMPLES = Number(args['sql-samples']);
const OUTAGE_MS = Number(args['outage-ms']);
const TIMEOUT_MS = Number(args['timeout-s']) * 1000;
for (const [name, v] of Object.entries({
  backlog: N,
  samples: SAMPLES,
  'sql-samples': SQL_SAMPLES,
  'outage-ms': OUTAGE_MS,
  'timeout-s': TIMEOUT_MS,
})) {
  if (!Number.isInteger(v) || v < 1) throw new Error(`--${name} must be a positive integer`);
}

type Engine = 'sqlite' | 'pg';

const say = (line = '') => process.stdout.write(`${line}\n`);
const ms = (v: number | undefined) =>
  v === undefined
    ? '-'
    : v >= 10_000
      ? `${(v / 1000).toFixed(1)} s`
      : v >= 100
        ? `${Math.round(v)} ms`
        : `${v.toFixed(1)} ms`;

/** Nearest-rank percentile. */
function pct(values: number[], p: number): number | undefined {
  if (!values.length) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/** A database of our own: a temporary SQLite file, or a fresh PostgreSQL database. */
async function provisionDatabase(): Promise<{ url: string; describe: string; drop: () => Promise<void> }> {
  if (engine === 'sqlite') {
    const dir = await mkdtemp(join(tmpdir(), 'kic-bench-sync-'));
    return {
      url: `sqlite:${join(dir, 'kic.sqlite')}`,
      describe: 'SQLite (temporary file, WAL)',
      drop: () => rm(dir, { recursive: true, force: true }),
    };
  }
  const env = process.env['DATABASE_URL'];
  const admin = env && /^postgres(ql)?:\/\//.test(env) ? env : 'postgres://postgres@127.0.0.1:5432/postgres';
  const name = `kic_bench_sync_${process.pid}_${randomBytes(3).toString('hex')}`;
  const client = new pg.Client({ connectionString: admin });
  await client.connect();
  await client.query(`CREATE DATABASE ${name}`);
  const version =
    (await client.query<{ server_version: string }>('SHOW server_version')).rows[0]?.server_version ?? '?';
  await client.end();
  const url = new URL(admin);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    describe: `PostgreSQL ${version} (database ${name}, dropped afterwards)`,
    drop: async () => {
      const c = new pg.Client({ connectionString: admin });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}

interface Kic {
  child: ChildProcess;
  /** kic's processes (serve, and with --worker-process the worker): their CPU is measured. */
  pids: number[];
  baseUrl: string;
  logLines: () => string[];
  stop(): Promise<void>;
}

/**
 * `kic serve` as its own process (sources run with tsx), logging to `logFile`; with
 * --worker-process without its worker, and a `kic worker` process beside it (logging there too).
 */
/** The worker's settings (KIC_SYNC_*) from this environment: measure others than the defaults. */
const SYNC_SETTINGS = Object.fromEntries(
  Object.entries(process.env).filter(
    ([k, v]) => k.startsWith('KIC_SYNC_') && k !== 'KIC_SYNC_WORKER' && v !== undefined,
  ),
) as Record<string, string>;

async function startKic(databaseUrl: string, logFile: string): Promise<Kic> {
  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  const env = {
    PATH: process.env['PATH'] ?? '',
    HOME: process.env['HOME'] ?? '',
    ...SYNC_SETTINGS,
    DATABASE_URL: databaseUrl,
    HOST: '127.0.0.1',
    PORT: String(port),
    KIC_PUBLIC_URL: baseUrl,
    KIC_CREATE_DEMO_CLIENT: 'false',
    LOG_LEVEL: 'info',
  };
  const server = await startKicProcess(
    'serve',
    { ...env, KIC_SYNC_WORKER: String(!WORKER_PROCESS) },
    logFile,
    'kic listening',
  );
  if (!WORKER_PROCESS) return { ...server, pids: [server.child.pid!], baseUrl };
  const worker = await startKicProcess(
    'worker',
    env,
    logFile.replace(/\.log$/, '-worker.log'),
    'outbox worker running',
  );
  return {
    child: server.child,
    pids: [server.child.pid!, worker.child.pid!],
    baseUrl,
    logLines: () => [...server.logLines(), ...worker.logLines()],
    stop: async () => {
      await Promise.all([server.stop(), worker.stop()]);
    },
  };
}

async function startKicProcess(
  command: 'serve' | 'worker',
  env: Record<string, string>,
  logFile: string,
  readyMessage: string,
): Promise<Omit<Kic, 'baseUrl' | 'pids'>> {
  const prof = args['kic-cpu-prof'] ? ['--cpu-prof', `--cpu-prof-dir=${args['kic-cpu-prof']}`] : [];
  const child = spawn(process.execPath, [...prof, '--import', 'tsx', 'src/cli.ts', command], {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const log = createWriteStream(logFile);
  const lines: string[] = [];
  let pending = '';
  child.stderr!.pipe(log, { end: false });
  const ready = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`kic ${command} did not start within 30 s; see ${logFile}`)),
      30_000,
    );
    child.stdout!.on('data', (d: Buffer) => {
      log.write(d);
      pending += d.toString();
      const parts = pending.split('\n');
      pending = parts.pop() ?? '';
      for (const line of parts) {
        lines.push(line);
        if (line.includes(`"${readyMessage}"`)) {
          clearTimeout(timer);
          resolve();
        }
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`kic ${command} exited with ${code}; see ${logFile}`));
    });
  });
  await ready;
  return {
    child,
    logLines: () => lines,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
        child.kill('SIGTERM');
        const killer = setTimeout(() => child.kill('SIGKILL'), 15_000);
        await exited;
        clearTimeout(killer);
      }
      await new Promise<void>((resolve) => log.end(resolve));
    },
  };
}

interface Backlog {
  n: number;
  outageMs: number;
  /** The DRC's return to the last acknowledgement. */
  drainMs?: number;
  /** The DRC's return to the first acknowledgement. */
  firstAckMs?: number;
  /** Acknowledgements per second between the first and the last. */
  steadyRate?: number;
  acked: number;
  attemptsDuringOutage: number;
  /** CPU per acknowledged relation from the DRC's return to the last ack: kic's processes, and this one (the double). */
  kicCpuMs?: number;
  doubleCpuMs?: number;
  /** The same for the PostgreSQL server's processes (when it runs on this machine). */
  databaseCpuMs?: number;
}

interface Result {
  engine: Engine;
  database: string;
  apiLag: number[];
  apiRequest: number[];
  apiNot201: number;
  sqlLag: number[];
  sqlMissed: number;
  natural: Backlog;
  retried: Backlog;
  duplicates: number;
  notDone: number;
  /** How long each successful delivery took inside the worker ("ms" of kic's "outbox delivered" log lines). */
  deliveryMs: number[];
  callbackMs: number[];
  logWarnings: number;
  logErrors: number;
  wallMs: number;
}

async function run(): Promise<Result> {
  const started = Date.now();
  const deadline = started + TIMEOUT_MS;
  const left = () => Math.max(0, deadline - Date.now());
  const tmp = await mkdtemp(join(tmpdir(), 'kic-bench-sync-log-'));
  const database = await provisionDatabase();
  const double = new DrcTestDouble({ kicCredentials: KIC_AT_DRC, ownCredentials: DOUBLE_AT_KIC });
  let kic: Kic | undefined;
  let db: Db | undefined;
  try {
    await double.start();
    db = createDb(parseDatabaseUrl(database.url), { poolMax: 4 });
    await migrateToLatest(db);
    await double.register(db);
    await applicaties.upsert(db, { ...BENCH, label: 'bench', heeftAlleAutorisaties: false, scopes: [...SCOPES] });
    say(`  ${database.describe}; kic log in ${tmp}`);
    kic = await startKic(database.url, join(tmp, 'kic.log'));
    const token = await signZgwToken({ clientId: BENCH.clientId, secret: BENCH.secret });
    const api = kic.baseUrl;
    const post = async (path: string, body: unknown) => {
      const res = await fetch(`${api}/api/v1/${path}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify(body),
      });
      const text = await res.text();
      return { status: res.status, json: (text ? JSON.parse(text) : {}) as { url?: string } };
    };
    const newVerzoek = async () => {
      const res = await post('verzoeken', { bronorganisatie: '123456782', status: 'ontvangen' });
      if (res.status !== 201 || !res.json.url)
        throw new Error(`creating a verzoek answered ${res.status}: ${JSON.stringify(res.json)}`);
      return res.json.url;
    };
    const uuidOf = (url: string) => url.slice(url.lastIndexOf('/') + 1);
    const acks = new Map<string, number>();
    const waiters = new Map<string, () => void>();
    double.on('created', (oio, at) => {
      const key = `${oio.object} ${oio.informatieobject}`;
      acks.set(key, at);
      waiters.get(key)?.();
    });
    const createdAt = async (aggregate: string) =>
      Number(
        (
          await db!('outbox')
            .where({ aggregate_id: aggregate, event: 'verzoekinformatieobject.created' })
            .orderBy('id')
            .first('created_at')
        )?.created_at,
      );

    // 1. API creates, one after another (a warm-up of 20 first).
    say(`  1/4 mirror lag of ${SAMPLES} API creates…`);
    const verzoek = await newVerzoek();
    const apiLag: number[] = [];
    const apiRequest: number[] = [];
    let apiNot201 = 0;
    for (let i = -20; i < SAMPLES && left() > 0; i++) {
      const doc = double.document();
      const t0 = performance.now();
      const res = await post('verzoekinformatieobjecten', { verzoek, informatieobject: doc });
      const took = performance.now() - t0;
      if (i < 0) continue;
      if (res.status !== 201 || !res.json.url) {
        apiNot201++;
        continue;
      }
      apiRequest.push(took);
      const key = `${verzoek} ${doc}`;
      if (!acks.has(key) && WORKER_PROCESS) {
        // The request did not wait for the delivery: wait for the acknowledgement here.
        await new Promise<void>((resolve) => {
          waiters.set(key, resolve);
          setTimeout(resolve, 10_000).unref();
        });
        waiters.delete(key);
      }
      const ack = acks.get(key);
      if (ack !== undefined) apiLag.push(ack - (await createdAt(uuidOf(res.json.url))));
    }

    // 2. Inserts by SQL from another process's connection, at random moments.
    say(`  2/4 mirror lag of ${SQL_SAMPLES} relations inserted by SQL…`);
    const sqlLag: number[] = [];
    let sqlMissed = 0;
    const verzoek2 = await newVerzoek();
    for (let i = 0; i < SQL_SAMPLES && left() > 0; i++) {
      await sleep(Math.random() * 1000); // arrivals uncorrelated with the worker's poll
      const doc = double.document();
      const key = `${verzoek2} ${doc}`;
      const acked = new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => resolve(false), 10_000);
        waiters.set(key, () => {
          clearTimeout(timer);
          resolve(true);
        });
      });
      const uuid = randomUUID();
      await db('verzoekinformatieobjecten').insert({
        uuid,
        verzoek_uuid: uuidOf(verzoek2),
        informatieobject: doc,
        created_at: Date.now(),
      });
      const ok = await acked;
      waiters.delete(key);
      if (!ok) sqlMissed++;
      else sqlLag.push(acks.get(key)! - (await createdAt(uuid)));
    }

    // 3 and 4. Backlogs while the DRC is down.
    const backlog = async (step: string, operatorRetries: boolean): Promise<Backlog> => {
      say(
        `  ${step} backlog of ${N} relations inserted by SQL while the DRC is down for ${OUTAGE_MS} ms${operatorRetries ? ', kic sync retry --all on its return' : ''}…`,
      );
      const verzoeken: string[] = [];
      for (let i = 0; i < Math.ceil(N / DOCS_PER_VERZOEK); i++) verzoeken.push(await newVerzoek());
      const keys = new Set<string>();
      const rows = Array.from({ length: N }, (_, i) => {
        const v = verzoeken[Math.floor(i / DOCS_PER_VERZOEK)]!;
        const informatieobject = double.document();
        keys.add(`${v} ${informatieobject}`);
        return { uuid: randomUUID(), verzoek_uuid: uuidOf(v), informatieobject, created_at: Date.now() };
      });
      const ackTimes: number[] = [];
      let resolveAll: () => void = () => undefined;
      const allAcked = new Promise<void>((resolve) => (resolveAll = resolve));
      const onCreated = (oio: { object: string; informatieobject: string }, at: number) => {
        if (!keys.has(`${oio.object} ${oio.informatieobject}`)) return;
        ackTimes.push(at);
        if (ackTimes.length === N) resolveAll();
      };
      double.on('created', onCreated);
      await double.stop();
      await db!.transaction(async (trx) => {
        for (let i = 0; i < rows.length; i += 500)
          await trx('verzoekinformatieobjecten').insert(rows.slice(i, i + 500));
      });
      await sleep(OUTAGE_MS);
      const ids = rows.map((r) => r.uuid);
      let attemptsDuringOutage = 0;
      for (let i = 0; i < ids.length; i += 500) {
        const [row] = await db!('outbox')
          .whereIn('aggregate_id', ids.slice(i, i + 500))
          .sum({ n: 'attempts' });
        attemptsDuringOutage += Number(row?.['n'] ?? 0);
      }
      await double.start();
      const up = Date.now();
      const kicCpu = () => kic!.pids.reduce((sum, pid) => sum + cpuSecondsOf(pid), 0);
      const kicCpuAtUp = kicCpu();
      const databaseCpuAtUp = engine === 'pg' ? cpuSecondsOfAll('postgres') : 0;
      const ownCpuAtUp = process.cpuUsage();
      if (operatorRetries) await outbox.retryNow(db!, Date.now()); // what `kic sync retry --all` does
      const giveUp = new AbortController();
      await Promise.race([allAcked, sleep(left(), undefined, { signal: giveUp.signal }).catch(() => undefined)]);
      giveUp.abort();
      const kicCpuMs = ((kicCpu() - kicCpuAtUp) * 1000) / Math.max(ackTimes.length, 1);
      const own = process.cpuUsage(ownCpuAtUp);
      const doubleCpuMs = (own.user + own.system) / 1000 / Math.max(ackTimes.length, 1);
      const databaseCpuMs =
        engine === 'pg'
          ? ((cpuSecondsOfAll('postgres') - databaseCpuAtUp) * 1000) / Math.max(ackTimes.length, 1)
          : undefined;
      double.off('created', onCreated);
      const first = ackTimes.length ? Math.min(...ackTimes) : undefined;
      const last = ackTimes.length ? Math.max(...ackTimes) : undefined;
      return {
        n: N,
        outageMs: OUTAGE_MS,
        acked: ackTimes.length,
        attemptsDuringOutage,
        ...(ackTimes.length ? { kicCpuMs, doubleCpuMs } : {}),
        ...(ackTimes.length && databaseCpuMs !== undefined ? { databaseCpuMs } : {}),
        ...(ackTimes.length === N && last !== undefined ? { drainMs: last - up } : {}),
        ...(first !== undefined ? { firstAckMs: first - up } : {}),
        ...(first !== undefined && last !== undefined && last > first
          ? { steadyRate: ((ackTimes.length - 1) * 1000) / (last - first) }
          : {}),
      };
    };
    const natural = await backlog('3/4', false);
    const retried = await backlog('4/4', true);

    // Nothing twice, nothing left behind.
    const duplicates = [...double.createdPairs.values()].filter((n) => n > 1).length;
    // The double acknowledges before kic records the delivery: give the last ones a moment to settle.
    let open: outbox.OutboxRow[] = [];
    for (let i = 0; i < 100; i++) {
      open = (await db('outbox').whereNot('state', 'done')) as outbox.OutboxRow[];
      if (!open.length) break;
      await sleep(100);
    }
    for (const o of open.slice(0, 5))
      say(`  not done: #${o.id} ${o.state} ${o.event} attempts ${o.attempts} ${o.last_error ?? ''}`);
    const lines = kic.logLines();
    return {
      engine,
      database: database.describe,
      apiLag,
      apiRequest,
      apiNot201,
      sqlLag,
      sqlMissed,
      natural,
      retried,
      duplicates,
      notDone: open.length,
      callbackMs: double.callbackMs,
      deliveryMs: lines
        .filter((l) => l.includes('"outbox delivered"'))
        .map((l) => Number((JSON.parse(l) as { ms?: number }).ms)),
      logWarnings: lines.filter((l) => l.startsWith('{"level":40')).length,
      logErrors: lines.filter((l) => /^\{"level":(50|60)/.test(l)).length,
      wallMs: Date.now() - started,
    };
  } finally {
    await kic?.stop();
    await db?.destroy();
    await double.stop();
    await database.drop();
    await rm(tmp, { recursive: true, force: true });
  }
}

function cpuPer(b: Backlog): string {
  if (b.kicCpuMs === undefined) return '-';
  const database = b.databaseCpuMs === undefined ? '' : ` / ${b.databaseCpuMs.toFixed(2)} ms`;
  return `${b.kicCpuMs.toFixed(2)} ms / ${b.doubleCpuMs!.toFixed(2)} ms${database}`;
}

function rows(r: Result): [string, string, string][] {
  const drained = (b: Backlog) =>
    b.drainMs === undefined
      ? `not drained: ${b.acked}/${b.n} acknowledged`
      : `${ms(b.drainMs)} (${Math.round((b.n * 1000) / Math.max(b.drainMs, 1))}/s)`;
  return [
    ['mirror lag, API create (commit → DRC 201) p50', ms(pct(r.apiLag, 50)), '< 20 ms'],
    ['mirror lag, API create p99', ms(pct(r.apiLag, 99)), '< 200 ms'],
    [`  (${r.apiLag.length} creates; not 201: ${r.apiNot201})`, '', ''],
    [
      'POST verzoekinformatieobjecten, request p50 / p99',
      `${ms(pct(r.apiRequest, 50))} / ${ms(pct(r.apiRequest, 99))}`,
      '',
    ],
    [
      `mirror lag, SQL insert (${r.engine === 'pg' ? 'NOTIFY' : WORKER_PROCESS ? 'WAL watch' : 'poll every 1000 ms'}) p50 / p99`,
      `${ms(pct(r.sqlLag, 50))} / ${ms(pct(r.sqlLag, 99))}`,
      '',
    ],
    [`  (${r.sqlLag.length} inserts; not mirrored within 10 s: ${r.sqlMissed})`, '', ''],
    [`backlog of ${r.natural.n}, DRC down ${ms(r.natural.outageMs)}: return → last ack`, drained(r.natural), '> 500/s'],
    [
      '  return → first ack; rate first → last ack',
      `${ms(r.natural.firstAckMs)}; ${r.natural.steadyRate ? `${Math.round(r.natural.steadyRate)}/s` : '-'}`,
      '',
    ],
    ['  failed attempts while down', String(r.natural.attemptsDuringOutage), ''],
    [
      `  CPU per relation while draining: kic / DRC double + bench${engine === 'pg' ? ' / PostgreSQL' : ''}`,
      cpuPer(r.natural),
      '',
    ],
    [`backlog of ${r.retried.n}, \`kic sync retry --all\` on return: return → last ack`, drained(r.retried), '> 500/s'],
    [
      '  return → first ack; rate first → last ack',
      `${ms(r.retried.firstAckMs)}; ${r.retried.steadyRate ? `${Math.round(r.retried.steadyRate)}/s` : '-'}`,
      '',
    ],
    [
      `  CPU per relation while draining: kic / DRC double + bench${engine === 'pg' ? ' / PostgreSQL' : ''}`,
      cpuPer(r.retried),
      '',
    ],
    [
      'one delivery inside the worker (kic log), p50 / p99',
      `${ms(pct(r.deliveryMs, 50))} / ${ms(pct(r.deliveryMs, 99))}`,
      '',
    ],
    [
      '  of which one call of the DRC double back to kic, p50 / p99',
      `${ms(pct(r.callbackMs, 50))} / ${ms(pct(r.callbackMs, 99))}`,
      '',
    ],
    ['objectinformatieobjecten created twice', String(r.duplicates), '0'],
    ['outbox rows not done at the end', String(r.notDone), '0'],
    ['kic log: warnings / errors', `${r.logWarnings} / ${r.logErrors}`, ''],
    ['wall time of the run', ms(r.wallMs), ''],
  ];
}

function printTable(r: Result): void {
  const table = rows(r);
  const w0 = Math.max(...table.map((t) => t[0].length));
  const w1 = Math.max(...table.map((t) => t[1].length), 'result'.length);
  say();
  say(`${'metric'.padEnd(w0)}  ${'result'.padEnd(w1)}  target`);
  say(`${'-'.repeat(w0)}  ${'-'.repeat(w1)}  ------`);
  for (const [a, b, c] of table) say(`${a.padEnd(w0)}  ${b.padEnd(w1)}  ${c}`.trimEnd());
  say();
}

async function writeResults(r: Result, machine: string): Promise<void> {
  const text_ = [
    `<!-- ${section}:start -->`,
    `## ${r.engine === 'pg' ? 'PostgreSQL' : 'SQLite'}${WORKER_PROCESS ? ', `kic serve` beside a separate `kic worker` process' : ''}`,
    '',
    ...(WORKER_PROCESS
      ? [
          "Two processes: `kic serve` with `KIC_SYNC_WORKER=false` answers the API (the DRC double's calls back included),",
          '`kic worker` delivers. API creates answer without waiting for the first delivery (no 400 for a refusal in',
          `this deployment)${r.engine === 'sqlite' ? ', and the worker finds new rows by its poll, so the lag rows show the poll interval' : ''}.`,
          '',
        ]
      : []),
    `${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC · ${machine} · ${r.database}`,
    '',
    `Command: \`${Object.entries(SYNC_SETTINGS)
      .map(([k, v]) => `${k}=${v} `)
      .join(
        '',
      )}npm run bench:sync --${r.engine === 'pg' ? ' --pg' : ''}${WORKER_PROCESS ? ' --worker-process' : ''} --backlog ${N} --samples ${SAMPLES} --sql-samples ${SQL_SAMPLES} --outage-ms ${OUTAGE_MS}\``,
    '',
    '| metric | result | target |',
    '| --- | --- | --- |',
    ...rows(r).map(([a, b, c]) => `| ${a.replace(/\|/g, '\\|')} | ${b} | ${c} |`),
    `<!-- ${section}:end -->`,
  ].join('\n');
  const old = existsSync(RESULTS) ? readFileSync(RESULTS, 'utf8') : '';
  const keep = (e: Section) =>
    e === section ? text_ : (old.match(new RegExp(`<!-- ${e}:start -->[\\s\\S]*?<!-- ${e}:end -->`))?.[0] ?? '');
  const text = [
    '# kic-001 sync benchmark',
    '',
    'Mirroring of verzoekinformatieobjecten into a Documenten API, measured against the DRC test double',
    '(`test/helpers/drc-double.ts`, which reads the verzoek and the relation back from kic before it accepts, as',
    'Open Zaak does) on loopback. kic runs as its own process (`kic serve`, sources under tsx) with its',
    'default settings (unless the section names others): in-process worker, batches of 32 delivered 16 at a time',
    '(`KIC_SYNC_CONCURRENCY`), `KIC_SYNC_POLL_MS` 1000, `KIC_SYNC_WAIT_MS` 2000,',
    'backoff from 1 s doubling with jitter per row; a failing DRC is paused and probed (one row after 100 ms, doubling up to the',
    'poll interval) while the other rows wait. Each run replaces its own section below.',
    '',
    "- *Mirror lag*: from the outbox row the trigger writes in the insert's transaction (≈ commit) to the",
    '  moment the double answers 201. API creates are sent one after another; SQL inserts come from another',
    "  process's connection at random moments.",
    "- *Backlog*: N relations inserted by SQL in one transaction while the double's port is closed; the double",
    '  returns after the outage; "return → last ack" is how long the backlog takes to drain after it is back',
    "  (with the worker's own backoff, and with `kic sync retry --all` at the moment it returns).",
    '',
    ...SECTIONS.flatMap((e) => [keep(e), '']),
    // The hand-written analysis between these markers survives reruns.
    old.match(/<!-- analysis:start -->[\s\S]*?<!-- analysis:end -->/)?.[0] ?? '',
    '',
    '## How to rerun',
    '',
    '```sh',
    'npm ci',
    'npm run bench:sync                  # SQLite (a temporary file)',
    'npm run bench:sync -- --pg          # PostgreSQL: DATABASE_URL or postgres://postgres@127.0.0.1:5432/postgres;',
    '                                    # creates and drops a database of its own',
    'npm run bench:sync -- --backlog 10000 --samples 300 --sql-samples 30 --outage-ms 5000 --timeout-s 600',
    'npm run bench:sync -- --worker-process  # kic serve (KIC_SYNC_WORKER=false) beside a separate kic worker process',
    '```',
    '',
  ]
    .join('\n')
    .replace(/\n{3,}/g, '\n\n');
  // Formatted as `npm run format:check` expects.
  writeFileSync(
    RESULTS,
    await prettier.format(text, { ...(await prettier.resolveConfig(RESULTS)), filepath: RESULTS }),
  );
}

async function main(): Promise<void> {
  const cpu = cpus();
  const load = loadavg()[0]!.toFixed(1);
  const machine = `${cpu.length} cores (${cpu[0]?.model.trim() ?? 'unknown CPU'}), load average ${load} at the start, Node ${process.version}, ${process.platform}`;
  say(`kic-001 sync benchmark on ${engine === 'pg' ? 'PostgreSQL' : 'SQLite'}: ${machine}`);
  const watchdog = setTimeout(() => {
    process.stderr.write(`bench:sync: gave up after ${TIMEOUT_MS / 1000 + 60} s\n`);
    process.exit(2);
  }, TIMEOUT_MS + 60_000);
  watchdog.unref();
  const result = await run();
  printTable(result);
  await writeResults(result, machine);
  say(`Written to ${RESULTS.slice(ROOT.length)}`);
  clearTimeout(watchdog);
  const ok =
    result.duplicates === 0 &&
    result.notDone === 0 &&
    result.apiNot201 === 0 &&
    result.sqlMissed === 0 &&
    result.natural.drainMs !== undefined &&
    result.retried.drainMs !== undefined;
  process.exit(ok ? 0 : 1);
}

main().catch((err: unknown) => {
  process.stderr.write(`bench:sync: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
