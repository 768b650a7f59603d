import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { AdminClient } from '../helpers/admin.js';
import { CLI, kic, serve, type ServerProcess } from '../helpers/processes.js';

/** `kic <args>` with `input` on its standard input (as a pipe, not a terminal). */
function kicWithInput(
  args: string[],
  env: Record<string, string>,
  input: string,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, LOG_LEVEL: 'warn', ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('exit', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(input);
  });
}

describe('admin users from the command line and the first start (SQLite file)', function () {
  this.timeout(60_000);
  let file: string;
  let env: Record<string, string>;
  let server: ServerProcess | undefined;

  beforeEach(() => {
    file = join(tmpdir(), `kic-e2e-${randomUUID()}.sqlite`);
    env = { DATABASE_URL: `sqlite:${file}`, KIC_PUBLIC_URL: 'http://127.0.0.1:1' };
  });
  afterEach(async () => {
    await server?.stop();
    server = undefined;
    for (const s of ['', '-wal', '-shm']) await rm(file + s, { force: true });
  });

  it('creates one admin on the first start and prints the admin URL and its password, which logs in', async () => {
    server = await serve(env);
    expect(server.stderr()).to.include('The admin interface: http://127.0.0.1:1/admin');
    const password = /username "admin", password "([^"]+)"/.exec(server.stderr())?.[1];
    expect(password, server.stderr()).to.be.a('string');
    const res = await new AdminClient(server.baseUrl).login('admin', password);
    expect(res.status).to.equal(303);
    await server.stop();
    server = await serve(env); // a second start creates nobody
    expect(server.stderr()).not.to.include('An admin user was created');
    expect((await kic(['user', 'list'], env)).stdout.split('\n').filter(Boolean)).to.have.length(1);
  });

  it('adds, lists, re-passwords and removes users; passwords are printed once or read from standard input', async () => {
    const added = await kic(['user', 'add', '--username', 'piet', '--role', 'editor'], env);
    const printed = /password \(shown once\): (\S+)/.exec(added.stdout)![1]!;
    const asked = await kicWithInput(
      ['user', 'add', '--username', 'klaas', '--role', 'approver', '--ask'],
      env,
      'een lang wachtwoord\n',
    );
    expect(asked.code, asked.stderr).to.equal(0);
    expect(asked.stdout).not.to.include('een lang wachtwoord');
    const short = await kicWithInput(['user', 'add', '--username', 'kort', '--role', 'viewer', '--ask'], env, 'kort\n');
    expect(short.code).to.equal(1);
    expect(short.stderr).to.include('at least 12 characters');
    const bad = await kicWithInput(['user', 'add', '--username', 'x', '--role', 'superuser'], env, '');
    expect(bad.code).not.to.equal(0);

    const list = (await kic(['user', 'list'], env)).stdout;
    expect(list)
      .to.match(/^klaas\tapprover\t/m)
      .and.match(/^piet\teditor\t/m);
    expect(list).not.to.include('scrypt');

    server = await serve({ ...env, KIC_CREATE_FIRST_ADMIN: 'false' });
    expect(server.stderr()).not.to.include('An admin user was created');
    expect((await new AdminClient(server.baseUrl).login('piet', printed)).status).to.equal(303);
    expect((await new AdminClient(server.baseUrl).login('klaas', 'een lang wachtwoord')).status).to.equal(303);

    const changed = await kic(['user', 'passwd', '--username', 'piet'], env);
    const fresh = /new password \(shown once\): (\S+)/.exec(changed.stdout)![1]!;
    expect((await new AdminClient(server.baseUrl).login('piet', printed)).status).to.equal(401);
    expect((await new AdminClient(server.baseUrl).login('piet', fresh)).status).to.equal(303);

    await kic(['user', 'remove', '--username', 'piet'], env);
    expect((await new AdminClient(server.baseUrl).login('piet', fresh)).status).to.equal(401);
  });
});
