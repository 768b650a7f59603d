/**
 * `npm run bench:klanten [-- --pg] [--rows N] [--runs N] [--keep]`
 *
 * The Klanten API list (`GET /klanten/api/v1/klanten`, pages of 100 with an exact `count`) over
 * N klanten (default 1,000,000): time to last byte of page 1, a middle page, the last page and a
 * filtered page through the component in-process, and the two queries behind a page (`count(*)`
 * and the page itself) on their own. SQLite always (a temporary file); with --pg also PostgreSQL
 * (a scratch database on postgres://postgres@127.0.0.1:5432, or BENCH_PG_URL, dropped afterwards
 * unless --keep). Medians of --runs (default 5) after one warm-up; prints a table.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { createApp } from '../src/app.js';
import { signZgwToken } from '../src/auth/jwt-zgw.js';
import { loadConfig } from '../src/config.js';
import * as applicaties from '../src/db/applicaties.js';
import { createDb, type Db } from '../src/db/knex.js';
import { migrateToLatest } from '../src/db/migrate.js';
import * as rows from '../src/db/rows.js';
import { createLogger } from '../src/logger.js';
import { fmt, median, say } from './lib.js';

const { values: args } = parseArgs({
  options: {
    pg: { type: 'boolean', default: false },
    rows: { type: 'string', default: '1000000' },
    runs: { type: 'string', default: '5' },
    keep: { type: 'boolean', default: false },
  },
});
const N = Number(args.rows);
const RUNS = Number(args.runs);
const PAGE = 100;
const NAMES = Math.max(1, Math.floor(N / 200));

/** N klanten in one statement per engine: half functie "even", 200 per achternaam. */
async function seed(db: Db, pg: boolean): Promise<void> {
  if (pg) {
    await db.raw(`
      INSERT INTO klanten (uuid, bronorganisatie, klantnummer, achternaam, functie, subject, subject_type, created_at, updated_at)
      SELECT gen_random_uuid(), '517439943', lpad(i::text, 8, '0'), 'Naam' || (i % ${NAMES}),
             CASE WHEN i % 2 = 0 THEN 'even' ELSE 'odd' END, 'https://brp.example/p/' || i, 'natuurlijk_persoon', 0, 0
      FROM generate_series(1, ${N}) i`);
    await db.raw('VACUUM ANALYZE klanten');
    return;
  }
  await db.raw(`
    WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${N})
    INSERT INTO klanten (uuid, bronorganisatie, klantnummer, achternaam, functie, subject, subject_type, created_at, updated_at)
    SELECT lower(printf('%s-%s-4%s-a%s-%s', hex(randomblob(4)), hex(randomblob(2)), substr(hex(randomblob(2)), 2),
                        substr(hex(randomblob(2)), 2), hex(randomblob(6)))),
           '517439943', substr('00000000' || i, -8, 8), 'Naam' || (i % ${NAMES}),
           CASE WHEN i % 2 = 0 THEN 'even' ELSE 'odd' END, 'https://brp.example/p/' || i, 'natuurlijk_persoon', 0, 0
    FROM n`);
  await db.raw('ANALYZE');
}

async function timed(f: () => Promise<unknown>): Promise<number> {
  await f(); // warm-up
  const ms: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t = performance.now();
    await f();
    ms.push(performance.now() - t);
  }
  return median(ms);
}

async function measure(label: string, db: Db, pg: boolean): Promise<[string, string, string][]> {
  await migrateToLatest(db);
  const t = performance.now();
  await seed(db, pg);
  say(`${label}: ${N} klanten seeded in ${fmt((performance.now() - t) / 1000)} s`);
  await applicaties.upsert(db, {
    clientId: 'bench',
    secret: 'bench-secret',
    label: 'bench',
    heeftAlleAutorisaties: true,
    scopes: [],
  });

  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const config = loadConfig({ KIC_PUBLIC_URL: base, LOG_LEVEL: 'silent' });
  server.on('request', await createApp({ config, db, log: createLogger('silent') }));
  const get = async (query: string): Promise<void> => {
    const token = await signZgwToken({ clientId: 'bench', secret: 'bench-secret', userId: '', userRepresentation: '' });
    const res = await fetch(`${base}/klanten/api/v1/klanten${query}`, {
      headers: { authorization: `Bearer ${token}` },
    });
    if (res.status !== 200) throw new Error(`${query}: HTTP ${res.status}`);
    await res.arrayBuffer();
  };
  const lastPage = Math.ceil(N / PAGE);
  const middle = Math.ceil(lastPage / 2);
  const out: [string, string, string][] = [];
  const row = async (what: string, f: () => Promise<unknown>) => out.push([label, what, fmt(await timed(f))]);
  try {
    await row('HTTP page 1', () => get(''));
    await row(`HTTP page ${middle}`, () => get(`?page=${middle}`));
    await row(`HTTP page ${lastPage} (last)`, () => get(`?page=${lastPage}`));
    await row('HTTP functie=even page 1', () => get('?functie=even'));
    await row('HTTP achternaam=Naam42 page 1', () => get('?achternaam=Naam42'));
    await row('SQL count(*)', () => rows.countRows(db, 'klanten', {}));
    await row('SQL page 1', () => rows.pageRows(db, 'klanten', {}, 0, PAGE));
    await row('SQL count(*) functie=even', () => rows.countRows(db, 'klanten', { functie: 'even' }));
  } finally {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
  return out;
}

const results: [string, string, string][] = [];
const dir = mkdtempSync(join(os.tmpdir(), 'kic-bench-klanten-'));
try {
  const sqlite = createDb({ client: 'sqlite', filename: join(dir, 'klanten.sqlite') });
  try {
    results.push(...(await measure('sqlite', sqlite, false)));
  } finally {
    await sqlite.destroy();
  }
  if (args.pg) {
    const server = process.env['BENCH_PG_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';
    const name = `kic_bench_klanten_${process.pid}`;
    const admin = createDb({ client: 'pg', connectionString: server });
    await admin.raw(`CREATE DATABASE ${name}`);
    const url = new URL(server);
    url.pathname = `/${name}`;
    const pg = createDb({ client: 'pg', connectionString: url.toString() });
    try {
      results.push(...(await measure('pg', pg, true)));
    } finally {
      await pg.destroy();
      if (!args.keep) await admin.raw(`DROP DATABASE ${name}`);
      await admin.destroy();
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}

say();
say(`Klanten API list over ${N} klanten, median of ${RUNS} (ms, time to last byte for HTTP)`);
const width = Math.max(...results.map(([, what]) => what.length));
for (const [engine, what, ms] of results) say(`${engine.padEnd(7)} ${what.padEnd(width)} ${ms.padStart(8)}`);
