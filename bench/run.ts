/**
 * `npm run bench [-- --pg] [--duration S] [--warmup S] [--connections N] [--rows N] [--profile] [--no-write] [--no-build] [--keep] [--node-flags="…"]`
 *
 * Speed and memory of the BUILT component (`node dist/src/cli.js serve`, a child process with its
 * default settings and LOG_LEVEL=warn) on 127.0.0.1, with autocannon as the load generator:
 *  1. GET /api/v1/klanten/{uuid}, plain (200) and with a matching If-None-Match (304);
 *  2. POST /api/v1/contactmomenten;
 *  3. POST /api/v1/verzoekinformatieobjecten, with a DRC double (bench/drc-double.ts) answering
 *     the document check and the outbox's mirror into objectinformatieobjecten;
 *  4. GET /api/v1/contactmomenten over 10,000 and over 1,000,000 rows: time to last byte, peak RSS;
 *  5. cold start (spawn to the first 200) and idle RSS.
 * For 1 and 2 the same requests also go to bench/baseline.ts (express + better-sqlite3, the same
 * SQL, no validation/auth/ETag) on the same database file. SQLite always (a temporary file);
 * with --pg also PostgreSQL (a scratch database on postgres://postgres@127.0.0.1:5432, or
 * BENCH_PG_URL, dropped afterwards). Prints a table and writes bench/RESULTS.md (the part between
 * the analysis markers is kept). --profile runs each load scenario on its own server started
 * with --cpu-prof and adds the top frames.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import * as prettier from 'prettier';
import {
  download,
  expectJson,
  fmt,
  killAllChildren,
  loadAverage,
  median,
  memoryOf,
  request,
  run,
  sampleRss,
  say,
  startChild,
  waitForOk,
  type Child,
} from './lib.js';
import { measure, medianResult, type LoadResult, type Scenario } from './load.js';
import { latestProfile, profileMarkdown, summarizeProfile, type ProfileSummary } from './profile.js';
import { PERSOON, VERBLIJFSADRES } from '../test/helpers/subjects.js';
import { pgSeeder, scratchPgDatabase, sqliteSeeder, type Seeder } from './seed.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const DEFAULT_CLI = join(ROOT, 'dist', 'src', 'cli.js');
const RESULTS = join(ROOT, 'bench', 'RESULTS.md');
const ANALYSIS_START = '<!-- analysis: kept by npm run bench -->';
const ANALYSIS_END = '<!-- /analysis -->';

const { values: args } = parseArgs({
  options: {
    pg: { type: 'boolean', default: false },
    duration: { type: 'string', default: '10' },
    /** Component and baseline take turns this many times per scenario; the medians are reported. */
    rounds: { type: 'string', default: '3' },
    warmup: { type: 'string', default: '3' },
    connections: { type: 'string', default: '20' },
    rows: { type: 'string', default: '1000000' },
    profile: { type: 'boolean', default: false },
    only: { type: 'string', default: '' },
    cli: { type: 'string', default: '' },
    /** Extra node flags for the component (an A/B of V8 settings), space-separated. */
    'node-flags': { type: 'string', default: '' },
    'no-write': { type: 'boolean', default: false },
    'no-build': { type: 'boolean', default: false },
    /** Keep the temporary folder (databases, CPU profiles) and print where it is. */
    keep: { type: 'boolean', default: false },
  },
});
const opt = {
  pg: args.pg,
  durationS: Number(args.duration),
  rounds: Math.max(1, Number(args.rounds)),
  warmupS: Number(args.warmup),
  connections: Number(args.connections),
  bigRows: Number(args.rows),
  profile: args.profile,
  only: args.only ? args.only.split(',') : [],
  /** Another build of the component (an A/B comparison of a change); implies --no-build. */
  cli: args.cli || DEFAULT_CLI,
  nodeFlags: args['node-flags'] ? args['node-flags'].split(' ').filter(Boolean) : [],
  write: !args['no-write'],
  build: !args['no-build'] && !args.cli,
};
const SMALL_ROWS = 10_000;
const KLANTEN = 10_000;
const VERZOEKEN = 1_000;
const ETAG_POOL = 500;
const PG_ADMIN_URL = process.env['BENCH_PG_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';

// ---------------------------------------------------------------------------------------------
// Request bodies: valid for the API (the template rows that seeding copies are made with them).

const KLANT = {
  voornaam: 'Jan',
  achternaam: 'Jansen',
  adres: 'Keizersgracht 117A',
  telefoonnummer: '0612345678',
  emailadres: 'jan@example.nl',
  functie: 'eigenaar',
  subjectType: 'natuurlijk_persoon',
  subjectIdentificatie: { ...PERSOON, verblijfsadres: VERBLIJFSADRES },
};
const contactmoment = (klantUrl: string) => ({
  bronorganisatie: '123456782',
  klant: klantUrl,
  interactiedatum: '2024-03-01T10:15:30.123456+02:00',
  kanaal: 'telefoon',
  voorkeurskanaal: 'e-mail',
  tekst: 'Vraag over de afvalkalender',
  onderwerpLinks: ['https://zaken.example/api/v1/zaken/1'],
  initiatiefnemer: 'klant',
  medewerker: 'https://medewerkers.example/api/v1/medewerkers/1',
  medewerkerIdentificatie: {
    identificatie: 'MW-001',
    achternaam: 'Bakker',
    voorletters: 'B.',
    voorvoegselAchternaam: 'de',
  },
});
const verzoek = (klantUrl: string) => ({
  bronorganisatie: '123456782',
  klant: klantUrl,
  interactiedatum: '2024-03-01T10:15:30Z',
  voorkeurskanaal: 'e-mail',
  tekst: 'Aanvraag parkeervergunning',
  status: 'ontvangen',
});

// ---------------------------------------------------------------------------------------------

type Engine = 'sqlite' | 'pg';
type LoadName = 'read' | 'read304' | 'create' | 'relation';
const LOAD_TITLES: Record<LoadName, string> = {
  read: 'GET /klanten/{uuid} → 200',
  read304: 'GET /klanten/{uuid} + If-None-Match → 304',
  create: 'POST /contactmomenten → 201',
  relation: 'POST /verzoekinformatieobjecten → 201 (DRC double)',
};

interface Start {
  ms: number;
  idleRssMb: number;
}
interface ListResult {
  rows: number;
  items: number;
  ttfbMs: number;
  ttlbMs: number;
  mb: number;
  peakRssMb: number;
  rssBeforeMb: number;
  hwmMb?: number;
}
interface EngineResults {
  engine: Engine;
  firstStart: Start;
  coldStarts: Start[];
  bigStart: Start;
  list10k: ListResult;
  list1m: ListResult;
  loads: Partial<Record<LoadName, LoadResult>>;
  /** The baseline's answer to each scenario (the plain read for read304), medians of its turns. */
  baselines: Partial<Record<LoadName, LoadResult>>;
  /** Component req/s over baseline req/s: the median of the turns' ratios (each turn measured back to back). */
  ratios: Partial<Record<LoadName, number>>;
  rssAfterLoadMb: number;
  seedSeconds: { small: number; big: number };
  /** The DRC mirror of the relation scenario, from the outbox: deliveries per second of the worker and the lag. */
  mirror?: { delivered: number; pending: number; perSecond: number; meanLagMs: number; maxLagMs: number };
  profiles: Partial<Record<LoadName, ProfileSummary>>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** Starts a helper script (drc double, baseline) that prints `listening <port>`. */
async function startScript(script: string, env: NodeJS.ProcessEnv): Promise<{ child: Child; port: number }> {
  const child = startChild(process.execPath, ['--import', 'tsx', join(ROOT, 'bench', script)], env, ROOT);
  for (let waited = 0; waited < 20_000; waited += 20) {
    const m = /listening (\d+)/.exec(child.output());
    if (m) return { child, port: Number(m[1]) };
    if (child.proc.exitCode !== null) break;
    await sleep(20);
  }
  await child.stop();
  throw new Error(`${script} did not start:\n${child.output()}`);
}

const cpuNote = (r: LoadResult): string =>
  `server CPU ${fmt((r.serverCpu ?? NaN) * 100, 0)} % (${fmt(((r.serverCpu ?? NaN) / r.rps) * 1e6, 0)} µs/req), load generator ${fmt(r.generatorCpu * 100, 0)} %`;

const pick = <T>(xs: readonly T[]): T => xs[Math.floor(Math.random() * xs.length)]!;

/** The baseline's database and requests: the SQLite run's, reused beside PostgreSQL. */
interface BaselineRig {
  file: string;
  publicUrl: string;
  scenarios: Record<'read' | 'create', Scenario>;
}

async function runEngine(
  engine: Engine,
  tmp: string,
  drcRoot: string,
  baselineOut: Partial<Record<'read' | 'create', LoadResult>>,
  rig: { current?: BaselineRig },
): Promise<EngineResults> {
  say(`\n== ${engine} ==`);
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  let databaseUrl: string;
  let sqliteFile: string | undefined;
  let dropPg: (() => Promise<void>) | undefined;
  if (engine === 'sqlite') {
    sqliteFile = join(tmp, 'kic.sqlite');
    databaseUrl = `sqlite:${sqliteFile}`;
  } else {
    const scratch = await scratchPgDatabase(PG_ADMIN_URL, `kic_bench_${process.pid}`);
    databaseUrl = scratch.url;
    dropPg = scratch.drop;
  }
  const env: NodeJS.ProcessEnv = {
    PATH: process.env['PATH'],
    HOME: process.env['HOME'],
    TZ: 'UTC',
    PORT: String(port),
    HOST: '127.0.0.1',
    DATABASE_URL: databaseUrl,
    KIC_PUBLIC_URL: base,
    KIC_CREATE_DEMO_CLIENT: 'false',
    LOG_LEVEL: 'warn',
  };
  const cli = (...a: string[]) => run(process.execPath, [opt.cli, ...a], env, ROOT);
  const seeder: Seeder = engine === 'sqlite' ? sqliteSeeder(sqliteFile!) : pgSeeder(databaseUrl);
  let server: Child | undefined;
  let auth: Record<string, string> = {};
  const profileDirs = new Map<LoadName, string>();

  const startComponent = async (probe: string, profileDir?: string): Promise<Start & { child: Child }> => {
    const flags = profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [];
    const t0 = performance.now();
    const child = startChild(process.execPath, [...opt.nodeFlags, ...flags, opt.cli, 'serve'], env, ROOT);
    const ms = await waitForOk(`${base}${probe}`, auth, t0, child);
    await sleep(1000); // idle: the first request is answered, the worker has polled once
    return { child, ms, idleRssMb: memoryOf(child.pid).rssMb };
  };

  try {
    await cli(
      'applicatie',
      'add',
      '--client-id',
      'bench',
      '--secret',
      randomBytes(18).toString('base64url'),
      '--all',
      '--label',
      'benchmark',
    );
    await cli(
      'service',
      'add',
      '--api-root',
      drcRoot,
      '--client-id',
      'kic-bench',
      '--secret',
      randomBytes(18).toString('base64url'),
      '--label',
      'DRC double',
    );
    const token = (await cli('token', '--client-id', 'bench')).trim();
    auth = { authorization: `Bearer ${token}` };

    // First start on the migrated, empty database.
    const first = await startComponent('/api/v1/klanten');
    server = first.child;
    say(`first start ${fmt(first.ms, 0)} ms, idle RSS ${fmt(first.idleRssMb)} MB`);

    // Templates through the API, then copies of them straight into the tables.
    const klant = await expectJson<{ url: string }>('POST', `${base}/api/v1/klanten`, auth, KLANT, 201);
    const cm = await expectJson<{ url: string }>(
      'POST',
      `${base}/api/v1/contactmomenten`,
      auth,
      contactmoment(klant.url),
      201,
    );
    const vz = await expectJson<{ url: string }>('POST', `${base}/api/v1/verzoeken`, auth, verzoek(klant.url), 201);
    const uuidOf = (url: string) => url.split('/').pop()!;
    let t = performance.now();
    await seeder.fill('klanten', uuidOf(klant.url), KLANTEN);
    const klanten = await seeder.uuids('klanten', KLANTEN);
    await seeder.fill('contactmomenten', uuidOf(cm.url), SMALL_ROWS, { klanten });
    await seeder.fill('verzoeken', uuidOf(vz.url), VERZOEKEN, { identificatie: true });
    const verzoeken = await seeder.uuids('verzoeken', VERZOEKEN);
    const smallSeed = (performance.now() - t) / 1000;
    say(`seeded ${KLANTEN} klanten, ${SMALL_ROWS} contactmomenten, ${VERZOEKEN} verzoeken in ${fmt(smallSeed)} s`);
    await server.stop();
    server = undefined;

    // Cold starts on the seeded database; the last one stays up for the measurements.
    const probe = `/api/v1/klanten/${klanten[0]}`;
    const coldStarts: Start[] = [];
    for (let i = 0; i < 3; i++) {
      const s = await startComponent(probe);
      coldStarts.push({ ms: s.ms, idleRssMb: s.idleRssMb });
      server = s.child;
      if (i < 2) await s.child.stop();
    }
    let live: Child = server!;
    say(
      `cold start ${coldStarts.map((s) => fmt(s.ms, 0)).join(' / ')} ms, idle RSS ${coldStarts.map((s) => fmt(s.idleRssMb)).join(' / ')} MB`,
    );

    // The list over 10,000 rows: one unmeasured, then five measured.
    const listOnce = async (pid: number) => {
      const rssBefore = memoryOf(pid).rssMb;
      const sampler = sampleRss(pid);
      const d = await download(`${base}/api/v1/contactmomenten`, auth, '{"url":');
      const peak = sampler.stop();
      if (d.status !== 200) throw new Error(`GET /contactmomenten answered ${d.status}`);
      return { ...d, peak, rssBefore };
    };
    await listOnce(live.pid);
    const small = [];
    for (let i = 0; i < 5; i++) small.push(await listOnce(live.pid));
    const list10k: ListResult = {
      rows: SMALL_ROWS,
      items: small[0]!.markers,
      ttfbMs: median(small.map((s) => s.ttfbMs)),
      ttlbMs: median(small.map((s) => s.ttlbMs)),
      mb: small[0]!.bytes / 1e6,
      peakRssMb: Math.max(...small.map((s) => s.peak)),
      rssBeforeMb: small[0]!.rssBefore,
    };
    if (list10k.items !== SMALL_ROWS) throw new Error(`the list had ${list10k.items} items, expected ${SMALL_ROWS}`);
    say(
      `list ${SMALL_ROWS}: ${fmt(list10k.ttlbMs, 0)} ms to last byte, ${fmt(list10k.mb)} MB, peak RSS ${fmt(list10k.peakRssMb)} MB`,
    );

    // ETags of a pool of klanten, for the 304 scenario.
    const etags = new Map<string, string>();
    for (const uuid of klanten.slice(0, ETAG_POOL)) {
      const res = await request('GET', `${base}/api/v1/klanten/${uuid}`, auth);
      etags.set(`/api/v1/klanten/${uuid}`, String(res.headers.etag));
    }
    const etagPaths = [...etags.keys()];

    let vioCounter = 0;
    const runTag = randomUUID().slice(0, 8);
    const json = { ...auth, 'content-type': 'application/json', accept: 'application/json' };
    const common = { url: base, connections: opt.connections, durationS: opt.durationS, warmupS: opt.warmupS };
    const scenarios: Record<LoadName, Scenario> = {
      read: { ...common, method: 'GET', headers: json, path: () => `/api/v1/klanten/${pick(klanten)}`, expect: 200 },
      read304: {
        ...common,
        method: 'GET',
        headers: json,
        path: () => pick(etagPaths),
        headersFor: (p) => ({ 'if-none-match': etags.get(p)! }),
        expect: 304,
      },
      create: {
        ...common,
        method: 'POST',
        headers: json,
        path: () => '/api/v1/contactmomenten',
        body: () => contactmoment(`${base}/api/v1/klanten/${pick(klanten)}`),
        expect: 201,
      },
      relation: {
        ...common,
        method: 'POST',
        headers: json,
        path: () => '/api/v1/verzoekinformatieobjecten',
        body: () => ({
          informatieobject: `${drcRoot}enkelvoudiginformatieobjecten/${runTag}-${++vioCounter}`,
          verzoek: `${base}/api/v1/verzoeken/${verzoeken[vioCounter % verzoeken.length]}`,
        }),
        expect: 201,
      },
    };

    // The baseline on the same database file and rows (SQLite only: it is express + better-sqlite3),
    // running beside the component: the two take turns per scenario, so that a machine whose speed
    // drifts (a shared VM) slows both alike, and the medians of the turns are reported.
    const compared: Partial<Record<LoadName, 'read' | 'create'>> = { read: 'read', read304: 'read', create: 'create' };
    const wanted = (name: LoadName) => !opt.only.length || opt.only.includes(name);
    // On PostgreSQL the baseline is still SQLite (its file and requests from the SQLite run).
    if (engine === 'sqlite')
      rig.current = {
        file: sqliteFile!,
        publicUrl: base,
        scenarios: { read: scenarios.read, create: scenarios.create },
      };
    const b =
      rig.current && !opt.profile && (Object.keys(compared) as LoadName[]).some(wanted)
        ? await startScript('baseline.ts', {
            PATH: process.env['PATH'],
            DB_FILE: rig.current.file,
            PUBLIC_URL: rig.current.publicUrl,
            PORT: '0',
          })
        : undefined;
    const loads: EngineResults['loads'] = {};
    const baselines: EngineResults['baselines'] = {};
    const ratios: EngineResults['ratios'] = {};
    try {
      for (const name of Object.keys(scenarios) as LoadName[]) {
        if (!wanted(name)) continue;
        if (opt.profile) {
          await live.stop();
          const dir = join(tmp, `prof-${engine}-${name}`);
          mkdirSync(dir, { recursive: true });
          profileDirs.set(name, dir);
          server = live = (await startComponent(probe, dir)).child;
        }
        const against = compared[name];
        const turns = against && !opt.profile ? opt.rounds : 1;
        const mine: LoadResult[] = [];
        const theirs: LoadResult[] = [];
        for (let turn = 0; turn < turns; turn++) {
          mine.push(await measure(scenarios[name], live.pid));
          if (against && b)
            theirs.push(
              await measure({ ...rig.current!.scenarios[against], url: `http://127.0.0.1:${b.port}` }, b.child.pid),
            );
        }
        const r = medianResult(mine);
        loads[name] = r;
        say(
          `${LOAD_TITLES[name].padEnd(52)} ${fmt(r.rps, 0).padStart(6)} req/s  p50 ${fmt(r.p50, 2)} ms  p99 ${fmt(r.p99, 2)} ms  ${cpuNote(r)}` +
            (r.unexpected || r.errors
              ? `  (${r.unexpected} unexpected, ${r.errors} errors; first: ${r.firstUnexpected ?? '-'})`
              : ''),
        );
        if (against && theirs.length) {
          const base = medianResult(theirs);
          baselines[name] = base;
          baselineOut[against] ??= base;
          ratios[name] = median(mine.map((m, i) => m.rps / theirs[i]!.rps));
          say(
            `  baseline ${against.padEnd(41)} ${fmt(base.rps, 0).padStart(6)} req/s  p50 ${fmt(base.p50, 2)} ms  p99 ${fmt(base.p99, 2)} ms  ${cpuNote(base)}${base.unexpected ? `  (${base.unexpected} unexpected: ${base.firstUnexpected})` : ''}` +
              `  ratio ${fmt(ratios[name]!, 2)} (turns: ${mine.map((m, i) => fmt(m.rps / theirs[i]!.rps, 2)).join(', ')})`,
          );
        }
      }
    } finally {
      await b?.child.stop();
    }
    await sleep(1000);
    const rssAfterLoadMb = memoryOf(live.pid).rssMb;
    let mirror: EngineResults['mirror'];
    if (loads.relation) {
      const [m] = await seeder.query<Record<string, string | number | null>>(
        "select sum(case when state = 'done' then 1 else 0 end) as delivered, sum(case when state <> 'done' then 1 else 0 end) as pending, " +
          'max(done_at) - min(done_at) as span, avg(done_at - created_at) as lag, max(done_at - created_at) as maxlag from outbox',
      );
      const delivered = Number(m?.['delivered'] ?? 0);
      mirror = {
        delivered,
        pending: Number(m?.['pending'] ?? 0),
        perSecond: delivered / (Number(m?.['span'] ?? 0) / 1000),
        meanLagMs: Number(m?.['lag'] ?? NaN),
        maxLagMs: Number(m?.['maxlag'] ?? NaN),
      };
      say(
        `mirror: ${delivered} delivered (${mirror.pending} not yet), ${fmt(mirror.perSecond, 0)} deliveries/s, lag mean ${fmt(mirror.meanLagMs, 0)} ms, max ${fmt(mirror.maxLagMs, 0)} ms`,
      );
    }
    await live.stop();
    server = undefined;

    const profiles: EngineResults['profiles'] = {};
    for (const [name, dir] of profileDirs) {
      const file = latestProfile(dir);
      if (file) profiles[name] = summarizeProfile(file, 15);
    }

    // The big list: top up to a million rows, start afresh (so VmHWM is this process's), stream it.
    t = performance.now();
    await seeder.fill('contactmomenten', uuidOf(cm.url), opt.bigRows, { klanten });
    const bigSeed = (performance.now() - t) / 1000;
    // The creates above added rows too: with a small --rows the table may hold more than asked.
    const bigRows = await seeder.count('contactmomenten');
    say(`seeded up to ${bigRows} contactmomenten in ${fmt(bigSeed)} s`);
    const big = await startComponent(probe);
    server = big.child;
    const d = await listOnce(big.child.pid);
    const list1m: ListResult = {
      rows: bigRows,
      items: d.markers,
      ttfbMs: d.ttfbMs,
      ttlbMs: d.ttlbMs,
      mb: d.bytes / 1e6,
      peakRssMb: d.peak,
      rssBeforeMb: d.rssBefore,
      hwmMb: memoryOf(big.child.pid).hwmMb,
    };
    if (list1m.items !== bigRows) throw new Error(`the list had ${list1m.items} items, expected ${bigRows}`);
    say(
      `list ${bigRows}: ${fmt(list1m.ttlbMs / 1000, 2)} s to last byte, ${fmt(list1m.mb, 0)} MB, peak RSS ${fmt(list1m.peakRssMb)} MB (VmHWM ${fmt(list1m.hwmMb!)} MB)`,
    );
    await big.child.stop();
    server = undefined;

    return {
      engine,
      firstStart: { ms: first.ms, idleRssMb: first.idleRssMb },
      coldStarts,
      bigStart: { ms: big.ms, idleRssMb: big.idleRssMb },
      list10k,
      list1m,
      loads,
      baselines,
      ratios,
      rssAfterLoadMb,
      seedSeconds: { small: smallSeed, big: bigSeed },
      ...(mirror ? { mirror } : {}),
      profiles,
    };
  } finally {
    await server?.stop();
    await seeder.close();
    await dropPg?.();
  }
}

// ---------------------------------------------------------------------------------------------
// Report

interface Target {
  what: string;
  engine: Engine;
  goal: string;
  measured: string;
  met: boolean;
}

function targets(all: EngineResults[], baseline: Partial<Record<'read' | 'create', LoadResult>>): Target[] {
  const out: Target[] = [];
  for (const r of all) {
    if (baseline.read && baseline.create) {
      for (const [name, goal] of [
        ['read', 0.5],
        ['read304', 0.5],
        ['create', 0.4],
      ] as const) {
        const x = r.ratios[name] ?? NaN;
        out.push({
          what: `ratio to baseline, ${LOAD_TITLES[name]}`,
          engine: r.engine,
          goal: `≥ ${goal}`,
          measured: fmt(x, 2),
          met: x >= goal,
        });
      }
    }
    const p99 = (name: LoadName, limit: number) => {
      const l = r.loads[name];
      if (l)
        out.push({
          what: `p99 at ${opt.connections} connections, ${LOAD_TITLES[name]}`,
          engine: r.engine,
          goal: `< ${limit} ms`,
          measured: `${fmt(l.p99, 2)} ms`,
          met: l.p99 < limit,
        });
    };
    p99('read', 10);
    p99('create', 20);
    out.push({
      what: `peak RSS listing ${r.list1m.rows.toLocaleString('en')} contactmomenten`,
      engine: r.engine,
      goal: '< 200 MB',
      measured: `${fmt(r.list1m.peakRssMb)} MB`,
      met: r.list1m.peakRssMb < 200,
    });
    const worstStart = Math.max(...r.coldStarts.map((s) => s.ms), r.firstStart.ms);
    out.push({
      what: 'cold start (worst of all starts on ≤ 10k rows)',
      engine: r.engine,
      goal: '< 1500 ms',
      measured: `${fmt(worstStart, 0)} ms`,
      met: worstStart < 1500,
    });
    const idle = Math.max(...r.coldStarts.map((s) => s.idleRssMb), r.firstStart.idleRssMb);
    out.push({
      what: 'idle RSS after start',
      engine: r.engine,
      goal: '< 120 MB',
      measured: `${fmt(idle)} MB`,
      met: idle < 120,
    });
  }
  return out;
}

function loadTable(all: EngineResults[]): string {
  const rows = [
    '| scenario | engine | req/s | p50 ms | p99 ms | server CPU µs/req | baseline req/s | baseline p50 | baseline p99 | baseline CPU µs/req | ratio |',
    '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  const usPerReq = (l: LoadResult) => fmt(((l.serverCpu ?? NaN) / l.rps) * 1e6, 0);
  for (const r of all) {
    for (const name of Object.keys(LOAD_TITLES) as LoadName[]) {
      const l = r.loads[name];
      if (!l) continue;
      const b = r.baselines[name];
      const ratio = r.ratios[name];
      const flag = l.unexpected || l.errors ? ` ⚠ ${l.unexpected} unexpected, ${l.errors} errors` : '';
      rows.push(
        `| ${LOAD_TITLES[name]}${flag} | ${r.engine} | ${fmt(l.rps, 0)} | ${fmt(l.p50, 2)} | ${fmt(l.p99, 2)} | ${usPerReq(l)} | ${b ? fmt(b.rps, 0) : '-'} | ${b ? fmt(b.p50, 2) : '-'} | ${b ? fmt(b.p99, 2) : '-'} | ${b ? usPerReq(b) : '-'} | ${ratio !== undefined ? fmt(ratio, 2) : '-'} |`,
      );
    }
  }
  const gen = [...all.flatMap((r) => [...Object.values(r.loads), ...Object.values(r.baselines)])].map(
    (l) => l!.generatorCpu * 100,
  );
  if (gen.length)
    rows.push(
      '',
      `The load generator (autocannon) used ${fmt(Math.min(...gen), 0)}–${fmt(Math.max(...gen), 0)} % of a core. Server CPU is the server process only (not PostgreSQL's backends).`,
    );
  return rows.join('\n');
}

function otherTables(all: EngineResults[]): string {
  const lists = [
    '| list | engine | rows | MB sent | TTFB ms | time to last byte | rows/s | RSS before MB | peak RSS MB (sampled) | VmHWM MB |',
    '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const r of all) {
    for (const l of [r.list10k, r.list1m]) {
      lists.push(
        `| GET /contactmomenten | ${r.engine} | ${l.rows.toLocaleString('en')} | ${fmt(l.mb, 1)} | ${fmt(l.ttfbMs, 1)} | ${l.ttlbMs < 10_000 ? `${fmt(l.ttlbMs, 0)} ms` : `${fmt(l.ttlbMs / 1000, 2)} s`} | ${fmt(l.rows / (l.ttlbMs / 1000), 0)} | ${fmt(l.rssBeforeMb)} | ${fmt(l.peakRssMb)} | ${l.hwmMb ? fmt(l.hwmMb) : '-'} |`,
      );
    }
  }
  const starts = ['| start | engine | spawn → first 200 | idle RSS MB |', '|---|---|---:|---:|'];
  for (const r of all) {
    starts.push(
      `| first start, migrated empty database | ${r.engine} | ${fmt(r.firstStart.ms, 0)} ms | ${fmt(r.firstStart.idleRssMb)} |`,
    );
    r.coldStarts.forEach((s, i) =>
      starts.push(
        `| cold start ${i + 1}, ${KLANTEN.toLocaleString('en')} klanten | ${r.engine} | ${fmt(s.ms, 0)} ms | ${fmt(s.idleRssMb)} |`,
      ),
    );
    starts.push(
      `| start on ${r.list1m.rows.toLocaleString('en')} contactmomenten | ${r.engine} | ${fmt(r.bigStart.ms, 0)} ms | ${fmt(r.bigStart.idleRssMb)} |`,
    );
    starts.push(`| RSS 1 s after the load runs | ${r.engine} | | ${fmt(r.rssAfterLoadMb)} |`);
  }
  const mirrors = all.filter((r) => r.mirror);
  if (mirrors.length) {
    starts.push(
      '',
      '| DRC mirror during the relation scenario | engine | delivered | still pending | deliveries/s | lag create → delivered, mean | max |',
      '|---|---|---:|---:|---:|---:|---:|',
    );
    for (const r of mirrors) {
      const m = r.mirror!;
      starts.push(
        `| outbox worker (in process) | ${r.engine} | ${m.delivered} | ${m.pending} | ${fmt(m.perSecond, 0)} | ${fmt(m.meanLagMs, 0)} ms | ${fmt(m.maxLagMs, 0)} ms |`,
      );
    }
  }
  return `${lists.join('\n')}\n\n${starts.join('\n')}`;
}

function machine(): string {
  const cpus = os.cpus();
  return `${cpus.length} cores (${cpus[0]?.model.trim() ?? 'unknown CPU'}), ${fmt(os.totalmem() / 2 ** 30, 0)} GiB RAM, ${os.type()} ${os.release()}, Node ${process.version}`;
}

async function writeResults(
  all: EngineResults[],
  baseline: Partial<Record<'read' | 'create', LoadResult>>,
  meta: { started: Date; loadBefore: number; loadAfter: number; seconds: number },
): Promise<void> {
  const previous = existsSync(RESULTS) ? readFileSync(RESULTS, 'utf8') : '';
  const a = previous.indexOf(ANALYSIS_START);
  const b = previous.indexOf(ANALYSIS_END);
  const analysis =
    a >= 0 && b > a
      ? previous.slice(a, b + ANALYSIS_END.length)
      : `${ANALYSIS_START}\n_(no analysis yet)_\n${ANALYSIS_END}`;
  const t = targets(all, baseline);
  const profiles = all.flatMap((r) =>
    (Object.entries(r.profiles) as [LoadName, ProfileSummary][]).map(([name, s]) =>
      profileMarkdown(`${r.engine}: ${LOAD_TITLES[name]}`, s),
    ),
  );
  const text = [
    '# Benchmark results',
    '',
    `Latest run: ${meta.started.toISOString().replace('T', ' ').slice(0, 16)} UTC, ${fmt(meta.seconds, 0)} s in all, by \`npm run bench${opt.pg ? ' -- --pg' : ''}${opt.profile ? ' --profile' : ''}\`.`,
    '',
    `- Machine: ${machine()}.`,
    `- Load average (1 min) before the run ${fmt(meta.loadBefore, 2)}, after it ${fmt(meta.loadAfter, 2)}; the load generator (autocannon, in the orchestrating process), the component and, on PostgreSQL, the database server share these cores.`,
    `- Load: autocannon ${opt.connections} connections, pipelining 1, ${opt.warmupS} s warm-up (discarded) then ${opt.durationS} s measured per scenario, on 127.0.0.1. req/s counts only responses with the expected status.`,
    `- Data: ${KLANTEN.toLocaleString('en')} klanten (natuurlijk_persoon with identification and address), ${SMALL_ROWS.toLocaleString('en')} then ${opt.bigRows.toLocaleString('en')} contactmomenten, ${VERZOEKEN.toLocaleString('en')} verzoeken; copies of rows the component created through its API, inserted by SQL.`,
    '- Component: `node dist/src/cli.js serve` with its defaults (in-process outbox worker, SQLite WAL + synchronous=NORMAL, PostgreSQL pool of 10), `LOG_LEVEL=warn`, a JWT of a client with heeftAlleAutorisaties.',
    "- Baseline: `bench/baseline.ts`, express + better-sqlite3 with the same SQL and pragmas on the same SQLite file, answering the same JSON, without validation, auth, ETag or knex. For the 304 row the baseline is its plain read (it has no ETags). On PostgreSQL the baseline is still this SQLite one, on the SQLite run's file (which by then also holds the big list's contactmomenten).",
    `- Turns: the component and the baseline take turns, ${opt.rounds} times per compared scenario, back to back; each figure is the median of its turns and each ratio the median of the turns' ratios (this machine's speed drifts by ±30 % from minute to minute). The relation scenario runs once.`,
    '',
    '## Throughput and latency',
    '',
    loadTable(all),
    '',
    '## Lists, start-up and memory',
    '',
    otherTables(all),
    '',
    '## Targets of the issue',
    '',
    '| target | engine | goal | measured | met |',
    '|---|---|---|---|---|',
    ...t.map((x) => `| ${x.what} | ${x.engine} | ${x.goal} | ${x.measured} | ${x.met ? 'yes' : '**no**'} |`),
    '',
    '## What limits it',
    '',
    analysis,
    '',
    ...(profiles.length ? ['## CPU profiles (`--profile`)', '', ...profiles] : []),
    '## How to rerun',
    '',
    '```sh',
    'npm ci',
    'npm run bench                 # SQLite: builds, then about 2 minutes',
    'npm run bench -- --pg         # also PostgreSQL (postgres://postgres@127.0.0.1:5432, or BENCH_PG_URL): about 4 minutes',
    'npm run bench -- --profile    # each load scenario on its own server with node --cpu-prof; adds the top frames',
    '# --duration S --warmup S --connections N --rows N (the big list) --only read,read304,create,relation\n# --no-write (do not touch this file) --no-build --cli path/to/other/dist/src/cli.js (A/B a change)',
    '```',
    '',
    'Measure on an otherwise idle machine: wait until `uptime` shows a load average well under 1 first.',
    '',
  ].join('\n');
  // Formatted as the repository's prettier would, so `npm run format:check` stays clean after a run.
  writeFileSync(
    RESULTS,
    await prettier.format(text, { ...(await prettier.resolveConfig(RESULTS)), filepath: RESULTS }),
  );
  say(`\nwrote ${RESULTS}`);
}

async function main(): Promise<void> {
  const started = new Date();
  const t0 = performance.now();
  const loadBefore = loadAverage();
  say(`machine: ${machine()}; load average ${fmt(loadBefore, 2)}`);
  if (opt.build) await run('npm', ['run', 'build', '--silent'], process.env, ROOT);
  const tmp = mkdtempSync(join(os.tmpdir(), 'kic-bench-'));
  const drc = await startScript('drc-double.ts', { PATH: process.env['PATH'], PORT: '0' });
  const drcRoot = `http://127.0.0.1:${drc.port}/api/v1/`;
  const all: EngineResults[] = [];
  const baseline: Partial<Record<'read' | 'create', LoadResult>> = {};
  try {
    const rig: { current?: BaselineRig } = {};
    all.push(await runEngine('sqlite', tmp, drcRoot, baseline, rig));
    if (opt.pg) all.push(await runEngine('pg', tmp, drcRoot, baseline, rig));
  } finally {
    await drc.child.stop();
    if (args.keep) say(`kept ${tmp}`);
    else rmSync(tmp, { recursive: true, force: true });
  }
  const seconds = (performance.now() - t0) / 1000;
  say(`\n${machine()}`);
  say(loadTable(all));
  say('');
  for (const x of targets(all, baseline))
    say(`${x.met ? 'met   ' : 'MISSED'}  ${x.engine.padEnd(6)} ${x.what}: ${x.measured} (goal ${x.goal})`);
  for (const r of all) {
    for (const [name, s] of Object.entries(r.profiles) as [LoadName, ProfileSummary][])
      say(`\n${profileMarkdown(`${r.engine}: ${LOAD_TITLES[name]}`, s)}`);
  }
  say(`\ntotal ${fmt(seconds, 0)} s; load average now ${fmt(loadAverage(), 2)}`);
  if (opt.write) await writeResults(all, baseline, { started, loadBefore, loadAfter: loadAverage(), seconds });
}

process.on('SIGINT', () => {
  killAllChildren();
  process.exit(130);
});
main().then(
  () => process.exit(0),
  (err: unknown) => {
    killAllChildren();
    process.stderr.write(`bench failed: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  },
);
