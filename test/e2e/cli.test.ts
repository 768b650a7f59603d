import { expect } from 'chai';
import { freshDatabase, type TestDatabase } from '../helpers/databases.js';
import { kic, serve, sqliteFilePerTest, type ServerProcess } from '../helpers/processes.js';

const KLANT = {
  voornaam: 'Ada',
  achternaam: 'Lovelace',
  subject: 'https://brp.example/api/v1/ingeschrevenpersonen/1',
  subjectType: 'natuurlijk_persoon',
};

async function call(base: string, token: string, method: string, path: string, body?: unknown) {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : undefined };
}

describe('kic command line and e2e.server process (SQLite file)', function () {
  this.timeout(60_000);
  const e2e = sqliteFilePerTest();

  it('creates a demo client on the first start of an empty database, whose token works', async () => {
    e2e.server = await serve(e2e.env);
    const secret = /secret "([^"]+)"/.exec(e2e.server.stderr())?.[1];
    expect(secret, e2e.server.stderr()).to.be.a('string');
    const { stdout: token } = await kic(['token', '--client-id', 'kic-demo'], e2e.env);
    const res = await call(e2e.server.baseUrl, token.trim(), 'GET', '/api/v1/klanten');
    expect(res.status).to.equal(200);
    expect(res.body).to.deep.equal([]);
    await e2e.server.stop();
    e2e.server = await serve(e2e.env); // a second start creates nothing new
    expect(e2e.server.stderr()).to.not.include('demo API client was created');
  });

  it('manages applicaties and services, and serves a klant read back with its ETag', async () => {
    await kic(['migrate'], e2e.env);
    await kic(
      [
        'applicatie',
        'add',
        '--client-id',
        'zaaksysteem',
        '--secret',
        's3cr3t',
        '--scopes',
        'klanten.lezen,klanten.aanmaken,audittrails.lezen',
      ],
      e2e.env,
    );
    const { stdout: list } = await kic(['applicatie', 'list'], e2e.env);
    expect(list).to.include('zaaksysteem\tklanten.lezen,klanten.aanmaken,audittrails.lezen');
    expect(list).to.not.include('s3cr3t');
    await kic(
      ['service', 'add', '--api-root', 'https://drc.example/api/v1', '--client-id', 'kic', '--secret', 'x'],
      e2e.env,
    );
    expect((await kic(['service', 'list'], e2e.env)).stdout).to.include('https://drc.example/api/v1/\tkic');
    await kic(['service', 'remove', '--api-root', 'https://drc.example/api/v1/'], e2e.env);
    expect((await kic(['service', 'list'], e2e.env)).stdout).to.equal('');

    e2e.server = await serve({ ...e2e.env, KIC_CREATE_DEMO_CLIENT: 'false' });
    const token = (await kic(['token', '--client-id', 'zaaksysteem'], e2e.env)).stdout.trim();
    const created = await call(e2e.server.baseUrl, token, 'POST', '/api/v1/klanten', KLANT);
    expect(created.status).to.equal(201);
    expect(created.body.url.startsWith('http://127.0.0.1:1/api/v1/klanten/')).to.equal(true);
    const path = new URL(created.body.url).pathname;
    const read = await call(e2e.server.baseUrl, token, 'GET', path);
    expect(read.status).to.equal(200);
    expect(read.body).to.deep.equal(created.body);
    const etag = read.headers.get('etag')!;
    const cached = await fetch(`${e2e.server.baseUrl}${path}`, {
      headers: { authorization: `Bearer ${token}`, 'if-none-match': etag },
    });
    expect(cached.status).to.equal(304);
    // klanten.verwijderen was not granted
    expect((await call(e2e.server.baseUrl, token, 'DELETE', path)).status).to.equal(403);
    // audittrails.lezen was: the Klanten API's audit trail of the klant is readable
    const trail = await call(e2e.server.baseUrl, token, 'GET', `/klanten${path}/audittrail`);
    expect(trail.status).to.equal(200);
    expect(trail.body.map((e: { actie: string }) => e.actie)).to.deep.equal(['create']);

    await kic(['applicatie', 'remove', '--client-id', 'zaaksysteem'], e2e.env);
    const refused = await kic(['token', '--client-id', 'zaaksysteem'], e2e.env).then(
      () => undefined,
      (err: { stderr: string }) => err.stderr,
    );
    expect(refused).to.include('no applicatie zaaksysteem');
  });

  it('refuses to start with an invalid configuration and says why', async () => {
    const failed = await kic(['migrate'], { ...e2e.env, DATABASE_URL: 'mysql://x' }).then(
      () => undefined,
      (err: { code: number; stderr: string }) => err,
    );
    expect(failed?.code).to.equal(1);
    expect(failed?.stderr).to.include('DATABASE_URL');
  });

  it('stops cleanly on SIGTERM', async () => {
    e2e.server = await serve(e2e.env);
    expect(await e2e.server.stop('SIGTERM')).to.equal(0);
  });
});

describe('several instances on one PostgreSQL database', function () {
  this.timeout(60_000);
  let database: TestDatabase;
  const servers: ServerProcess[] = [];

  before(async () => {
    // An empty database: the instances race to migrate it and must queue on the migration lock.
    database = await freshDatabase('pg');
    await database.db.raw('DROP SCHEMA public CASCADE; CREATE SCHEMA public');
  });
  after(async () => {
    await Promise.all(servers.map((s) => s.stop()));
    await database.drop();
  });

  it('start together, migrate once, and see each other’s writes', async () => {
    const env = { DATABASE_URL: database.url, KIC_PUBLIC_URL: 'https://kic.example', KIC_CREATE_DEMO_CLIENT: 'false' };
    servers.push(...(await Promise.all([serve(env), serve(env)])));
    await kic(['applicatie', 'add', '--client-id', 'app', '--secret', 'geheim', '--all'], env);
    const token = (await kic(['token', '--client-id', 'app'], env)).stdout.trim();
    const created = await call(servers[0]!.baseUrl, token, 'POST', '/api/v1/klanten', KLANT);
    expect(created.status).to.equal(201);
    const read = await call(servers[1]!.baseUrl, token, 'GET', new URL(created.body.url).pathname);
    expect(read.body).to.deep.equal(created.body);
    const migrations = await database.db('knex_migrations').select('name');
    const names = migrations.map((m: { name: string }) => m.name);
    expect(names).to.include('20261126090000_initial_schema');
    expect(new Set(names).size).to.equal(names.length); // each migration ran exactly once
  });
});
