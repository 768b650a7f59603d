import { spawn } from 'node:child_process';
import { expect } from 'chai';
import { AdminClient } from '../helpers/admin.js';
import { CLI, kic, serve, sqliteFilePerTest } from '../helpers/processes.js';

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
  const e2e = sqliteFilePerTest();

  it('creates one admin on the first start and prints the admin URL and its password, which logs in', async () => {
    e2e.server = await serve(e2e.env);
    expect(e2e.server.stderr()).to.include('The admin interface: http://127.0.0.1:1/admin');
    const password = /username "admin", password "([^"]+)"/.exec(e2e.server.stderr())?.[1];
    expect(password, e2e.server.stderr()).to.be.a('string');
    const res = await new AdminClient(e2e.server.baseUrl).login('admin', password);
    expect(res.status).to.equal(303);
    await e2e.server.stop();
    e2e.server = await serve(e2e.env); // a second start creates nobody
    expect(e2e.server.stderr()).not.to.include('An admin user was created');
    expect((await kic(['user', 'list'], e2e.env)).stdout.split('\n').filter(Boolean)).to.have.length(1);
  });

  it('adds, lists, re-passwords and removes users; passwords are printed once or read from standard input', async () => {
    const added = await kic(['user', 'add', '--username', 'piet', '--role', 'editor'], e2e.env);
    const printed = /password \(shown once\): (\S+)/.exec(added.stdout)![1]!;
    const asked = await kicWithInput(
      ['user', 'add', '--username', 'klaas', '--role', 'approver', '--ask'],
      e2e.env,
      'een lang wachtwoord\n',
    );
    expect(asked.code, asked.stderr).to.equal(0);
    expect(asked.stdout).not.to.include('een lang wachtwoord');
    const short = await kicWithInput(
      ['user', 'add', '--username', 'kort', '--role', 'viewer', '--ask'],
      e2e.env,
      'kort\n',
    );
    expect(short.code).to.equal(1);
    expect(short.stderr).to.include('at least 12 characters');
    const bad = await kicWithInput(['user', 'add', '--username', 'x', '--role', 'superuser'], e2e.env, '');
    expect(bad.code).not.to.equal(0);

    const list = (await kic(['user', 'list'], e2e.env)).stdout;
    expect(list)
      .to.match(/^klaas\tapprover\t/m)
      .and.match(/^piet\teditor\t/m);
    expect(list).not.to.include('scrypt');

    e2e.server = await serve({ ...e2e.env, KIC_CREATE_FIRST_ADMIN: 'false' });
    expect(e2e.server.stderr()).not.to.include('An admin user was created');
    expect((await new AdminClient(e2e.server.baseUrl).login('piet', printed)).status).to.equal(303);
    expect((await new AdminClient(e2e.server.baseUrl).login('klaas', 'een lang wachtwoord')).status).to.equal(303);

    const changed = await kic(['user', 'passwd', '--username', 'piet'], e2e.env);
    const fresh = /new password \(shown once\): (\S+)/.exec(changed.stdout)![1]!;
    expect((await new AdminClient(e2e.server.baseUrl).login('piet', printed)).status).to.equal(401);
    expect((await new AdminClient(e2e.server.baseUrl).login('piet', fresh)).status).to.equal(303);

    await kic(['user', 'remove', '--username', 'piet'], e2e.env);
    expect((await new AdminClient(e2e.server.baseUrl).login('piet', fresh)).status).to.equal(401);
  });
});
