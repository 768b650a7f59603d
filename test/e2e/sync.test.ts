import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { registerClients, startApp, type StartedApp } from '../helpers/app.js';
import { freshDatabase, type Dialect, type TestDatabase } from '../helpers/databases.js';
import { DrcTestDouble } from '../helpers/drc-double.js';
import { until } from '../helpers/until.js';
import { CLI, kic } from '../helpers/processes.js';

const run = promisify(execFile);

interface WorkerProcess {
  child: ChildProcess;
  log: () => string;
  /** How many rows this worker logged as delivered. */
  delivered: () => number;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Starts the BUILT `kic worker` and waits for its "outbox worker running" log line. */
async function startWorker(env: Record<string, string>): Promise<WorkerProcess> {
  const child = spawn(process.execPath, [CLI, 'worker'], {
    env: { ...process.env, LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`kic worker did not start:\n${out}`)), 20_000);
    const check = () => {
      if (!out.includes('outbox worker running')) return;
      clearTimeout(timer);
      child.stdout!.off('data', check);
      resolve();
    };
    child.stdout!.on('data', check);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`kic worker exited with ${code}:\n${out}`));
    });
  });
  return {
    child,
    log: () => out,
    delivered: () => out.split('\n').filter((l) => l.includes('"msg":"outbox delivered"')).length,
    stop: (signal = 'SIGTERM') =>
      new Promise((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve(child.exitCode);
        child.once('exit', (code) => resolve(code));
        child.kill(signal);
      }),
  };
}

const VERZOEK = { bronorganisatie: '123456782', status: 'ontvangen' };
const uuidOf = (url: string) => url.split('/').pop()!;

describe('kic-001: kic worker processes', function () {
  this.timeout(60_000);
  const drc = new DrcTestDouble();
  let database: TestDatabase | undefined;
  let api: StartedApp | undefined;
  const workers: WorkerProcess[] = [];

  before(async () => {
    await drc.start();
  });
  after(async () => {
    await drc.stop();
  });
  afterEach(async () => {
    for (const w of workers.splice(0)) await w.stop('SIGKILL');
    await api?.close();
    await database?.drop();
    api = undefined;
    database = undefined;
  });

  /**
   * A fresh database with both sides' credentials and the API answering in this process WITHOUT
   * a worker (the DRC double calls back to the verzoek URLs); returns the env for `kic worker`.
   */
  async function setUp(
    dialect: Dialect,
    o: { leaseMs?: number; pollMs?: number; workerElsewhere?: boolean } = {},
  ): Promise<Record<string, string>> {
    drc.reset();
    database = await freshDatabase(dialect);
    await registerClients(database.db);
    await drc.register(database.db);
    api = await startApp(database.db, {}, {}, { workerElsewhere: o.workerElsewhere ?? false });
    return {
      DATABASE_URL: database.url,
      KIC_PUBLIC_URL: api.api.baseUrl,
      KIC_SYNC_POLL_MS: String(o.pollMs ?? 100),
      ...(o.leaseMs ? { KIC_SYNC_LEASE_MS: String(o.leaseMs) } : {}),
    };
  }

  async function verzoeken(n: number): Promise<string[]> {
    const urls: string[] = [];
    for (let i = 0; i < n; i++) urls.push((await api!.api.post('/api/v1/verzoeken', VERZOEK)).body.url);
    return urls;
  }

  /** Relations inserted with SQL, as an import would: the triggers queue them. */
  async function insertRelations(pairs: [verzoek: string, document: number][]): Promise<string[]> {
    const rows = pairs.map(([verzoek, n]) => ({
      uuid: randomUUID(),
      verzoek_uuid: uuidOf(verzoek),
      informatieobject: drc.document(n),
      created_at: Date.now(),
    }));
    await database!.db('verzoekinformatieobjecten').insert(rows);
    return rows.map((r) => r.uuid);
  }

  for (const dialect of ['sqlite', 'pg'] as const) {
    it(`an instance without its own worker answers a create after kic worker's first attempt: 201 when mirrored, 400 when refused [${dialect}]`, async () => {
      // A poll far beyond the create's 2 s wait: only the commit itself (NOTIFY, the WAL file) can wake the worker in time.
      workers.push(await startWorker(await setUp(dialect, { pollMs: 600_000, workerElsewhere: true })));
      const [verzoek] = await verzoeken(1);
      const created = await api!.api.post('/api/v1/verzoekinformatieobjecten', {
        verzoek,
        informatieobject: drc.document(1),
      });
      expect(created.status).to.equal(201);
      expect(drc.mirrorsOf(verzoek!), 'mirrored before the 201').to.have.length(1);

      drc.objectTypes = ['zaak', 'besluit']; // a DRC 1.0: refuses objectType verzoek
      const refused = await api!.api.post('/api/v1/verzoekinformatieobjecten', {
        verzoek,
        informatieobject: drc.document(2),
      });
      expect(refused.status).to.equal(400);
      expect(refused.body.invalidParams[0]).to.include({ name: 'nonFieldErrors', code: 'invalid' });
      expect(refused.body.invalidParams[0].reason).to.include('objectType');
      const left = await database!.db('verzoekinformatieobjecten').where({ verzoek_uuid: uuidOf(verzoek!) });
      expect(left.map((r: { informatieobject: string }) => r.informatieobject)).to.deep.equal([drc.document(1)]);
      await until(
        'the undone relation leaves nothing for a person in kic sync status',
        async () => (await database!.db('outbox').whereNot({ state: 'done' })).length === 0,
      );
    });

    it(`loses and duplicates nothing when a worker is killed (SIGKILL) mid-delivery; a second worker delivers everything [${dialect}]`, async () => {
      const env = await setUp(dialect, { leaseMs: 2_000 });
      const [v1, v2] = await verzoeken(2);
      const pairs: [string, number][] = [
        [v1!, 1],
        [v1!, 2],
        [v1!, 3],
        [v2!, 1],
        [v2!, 4],
        [v2!, 5],
      ];
      await insertRelations(pairs);

      drc.delayMs = 800; // slow: the first worker is in the middle of its first POST when it dies
      const first = await startWorker(env);
      workers.push(first);
      await until('the first worker has POSTed', () => drc.oioCalls('POST') >= 1, 10_000);
      await first.stop('SIGKILL');
      expect(first.child.signalCode).to.equal('SIGKILL');
      // The DRC finishes the POST the dead worker never heard back from.
      drc.delayMs = 0;
      const orphaned = drc.oioCalls('POST');
      await until('the orphaned POSTs have been handled', () => drc.created.length === orphaned, 10_000);
      const open = await database!.db('outbox').whereNot({ state: 'done' });
      expect(open, 'nothing settled, nothing lost').to.have.length(6);
      expect(open.filter((r) => r.locked_by !== null).length, 'rows the dead worker held').to.be.greaterThan(0);
      expect(await database!.db('remote_links')).to.deep.equal([]);

      const second = await startWorker(env);
      workers.push(second);
      await until('every relation is mirrored', () => drc.oios.size === 6, 20_000);
      await until(
        'the outbox is settled',
        async () => (await database!.db('outbox').whereNot({ state: 'done' })).length === 0,
        10_000,
      );

      expect(drc.duplicates()).to.deep.equal([]);
      expect(drc.created.sort()).to.deep.equal(pairs.map(([v, n]) => `${v} ${drc.document(n)}`).sort());
      expect(drc.oioCalls('POST'), 'the crashed POSTs are found by GET, not made again').to.equal(6);
      expect(await database!.db('remote_links')).to.have.length(6);
      await until('its log shows the deliveries', () => second.delivered() >= 6); // stdout arrives through a pipe
      expect(second.delivered(), second.log()).to.equal(6);

      const status = await kic(['sync', 'status'], { DATABASE_URL: database!.url });
      expect(status.stdout).to.match(/^pending 0, failed 0, oldest open -$/m);
      expect(await second.stop('SIGTERM'), 'a graceful stop').to.equal(0);
    });
  }

  it('two workers on one PostgreSQL database mirror ~40 relations made by SQL exactly once, creates before deletes', async () => {
    const env = await setUp('pg');
    const vs = await verzoeken(4);
    drc.delayMs = 10; // deliveries overlap: both workers are busy at the same time
    const a = await startWorker(env);
    const b = await startWorker(env);
    workers.push(a, b);

    const pairs: [string, number][] = [];
    for (const [i, v] of vs.entries()) for (let n = 1; n <= 10; n++) pairs.push([v, i * 100 + n]);
    const uuids = await insertRelations(pairs); // one statement: 40 trigger rows, one NOTIFY
    // Some are removed again while the workers deliver: each delete must follow its create.
    const removed = uuids.filter((_, i) => i % 8 === 3);
    await database!.db('verzoekinformatieobjecten').whereIn('uuid', removed).delete();
    const kept = pairs.filter((_, i) => i % 8 !== 3).map(([v, n]) => `${v} ${drc.document(n)}`);

    await until(
      'the outbox is settled',
      async () => (await database!.db('outbox').whereNot({ state: 'done' })).length === 0,
      30_000,
    );
    const now = [...drc.oios.values()].map((o) => `${o.object} ${o.informatieobject}`);
    expect(now.sort()).to.deep.equal(kept.sort());
    expect(drc.duplicates()).to.deep.equal([]);
    const rows = await database!.db('outbox').orderBy('id');
    expect(rows).to.have.length(40 + removed.length);
    expect(
      rows.filter((r) => r.attempts !== 1),
      'every row was claimed and delivered once',
    ).to.deep.equal([]);
    await until('their logs show the deliveries', () => a.delivered() + b.delivered() >= rows.length);
    expect(a.delivered() + b.delivered()).to.equal(rows.length);
    expect(drc.oioCalls('POST')).to.equal(drc.created.length);
  });

  it('mirrors a relation inserted with the sqlite3 command-line shell (another SQLite build than ours)', async () => {
    const env = await setUp('sqlite');
    const [verzoek] = await verzoeken(1);
    const worker = await startWorker(env);
    workers.push(worker);
    const file = database!.url.slice('sqlite:'.length);
    const uuid = randomUUID();
    await run('sqlite3', [
      file,
      `PRAGMA busy_timeout = 5000; INSERT INTO verzoekinformatieobjecten (uuid, verzoek_uuid, informatieobject, created_at) VALUES ('${uuid}', '${uuidOf(verzoek!)}', '${drc.document(1)}', 0);`,
    ]).catch((err: Error) => {
      throw new Error(`the sqlite3 shell (apt-get install sqlite3) could not insert: ${err.message}`);
    });
    await until('the relation is mirrored', () => drc.mirrorsOf(verzoek!).length === 1, 10_000);
    const [row] = await database!.db('outbox').where({ aggregate_id: uuid });
    // The trigger's timestamps are epoch milliseconds in that SQLite too.
    expect(Number(row.created_at)).to.be.within(Date.now() - 60_000, Date.now());
    expect(Number(row.available_at)).to.equal(Number(row.created_at));
  });
});
