import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
/** The built command line, as `npm start` runs it. */
export const CLI = `${ROOT}dist/src/cli.js`;

/** Runs `kic <args>` to completion; resolves with its output, rejects when it exits non-zero. */
export async function kic(args: string[], env: Record<string, string>): Promise<{ stdout: string; stderr: string }> {
  return run(process.execPath, [CLI, ...args], { env: { ...process.env, LOG_LEVEL: 'warn', ...env }, timeout: 30_000 });
}

export interface ServerProcess {
  child: ChildProcess;
  baseUrl: string;
  stderr: () => string;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Starts `kic serve` on a free port and waits for its "kic listening" log line. */
export async function serve(env: Record<string, string>): Promise<ServerProcess> {
  const child = spawn(process.execPath, [CLI, 'serve'], {
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`kic serve did not start:\n${stdout}\n${stderr}`)), 20_000);
    child.stdout!.on('data', (d: Buffer) => {
      stdout += d.toString();
      for (const line of stdout.split('\n')) {
        if (!line.includes('kic listening')) continue;
        clearTimeout(timer);
        resolve((JSON.parse(line) as { port: number }).port);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`kic serve exited with ${code}:\n${stdout}\n${stderr}`));
    });
  });
  return {
    child,
    baseUrl: `http://127.0.0.1:${port}`,
    stderr: () => stderr,
    stop: (signal = 'SIGTERM') =>
      new Promise((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve(child.exitCode);
        child.once('exit', (code) => resolve(code));
        child.kill(signal);
      }),
  };
}

/**
 * For tests of the command line and `kic serve` on a SQLite file: a fresh file per test (`env`
 * points the processes at it), and after each test the server it started (`server`) stopped and
 * the file removed with its WAL files.
 */
export function sqliteFilePerTest(): { env: Record<string, string>; server?: ServerProcess } {
  const state: { env: Record<string, string>; server?: ServerProcess; file?: string } = { env: {} };
  beforeEach(() => {
    state.file = join(tmpdir(), `kic-e2e-${randomUUID()}.sqlite`);
    state.env = { DATABASE_URL: `sqlite:${state.file}`, KIC_PUBLIC_URL: 'http://127.0.0.1:1' };
  });
  afterEach(async () => {
    await state.server?.stop();
    delete state.server;
    for (const s of ['', '-wal', '-shm']) await rm(state.file + s, { force: true });
  });
  return state;
}
