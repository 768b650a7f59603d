import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, readdirSync, readFileSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

// Process, HTTP and memory helpers shared by the benchmark scripts. Nothing here knows the component.

export const say = (line = ''): void => void process.stdout.write(`${line}\n`);

/** Every child still running, so a failing run never leaves servers behind. */
const children = new Set<ChildProcess>();

export function killAllChildren(): void {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
}

export interface Child {
  proc: ChildProcess;
  pid: number;
  /** Resolves when the process has exited. */
  exited: Promise<number | null>;
  /** Everything it wrote to stderr and stdout (for failure messages). */
  output(): string;
  /** SIGTERM, then SIGKILL after `graceMs`. */
  stop(graceMs?: number): Promise<number | null>;
}

export function startChild(command: string, args: string[], env: NodeJS.ProcessEnv, cwd: string): Child {
  const proc = spawn(command, args, { env, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(proc);
  let out = '';
  // BENCH_CHILD_LOG=<folder>: each child's whole output also goes to <folder>/<pid>.log (e.g. --trace-gc).
  const logDir = process.env['BENCH_CHILD_LOG'];
  const keep = (chunk: Buffer) => {
    out = (out + chunk.toString('utf8')).slice(-20_000);
    if (logDir) appendFileSync(join(logDir, `${proc.pid}.log`), chunk);
  };
  proc.stdout!.on('data', keep);
  proc.stderr!.on('data', keep);
  const exited = new Promise<number | null>((resolve) => {
    proc.once('exit', (code) => {
      children.delete(proc);
      resolve(code);
    });
  });
  if (proc.pid === undefined) throw new Error(`could not start ${command}`);
  return {
    proc,
    pid: proc.pid,
    exited,
    output: () => out,
    async stop(graceMs = 15_000) {
      if (proc.exitCode !== null || proc.signalCode !== null) return proc.exitCode;
      proc.kill('SIGTERM');
      const timer = setTimeout(() => proc.kill('SIGKILL'), graceMs);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}

/** Runs a command to completion and returns its stdout; throws with its output when it fails. */
export async function run(command: string, args: string[], env: NodeJS.ProcessEnv, cwd: string): Promise<string> {
  const c = startChild(command, args, env, cwd);
  let stdout = '';
  c.proc.stdout!.on('data', (b: Buffer) => (stdout += b.toString('utf8')));
  const code = await c.exited;
  if (code !== 0) throw new Error(`${command} ${args.join(' ')} exited with ${code}:\n${c.output()}`);
  return stdout;
}

/** Resident set size now and its high-water mark, in MB, from /proc/<pid>/status. */
export function memoryOf(pid: number): { rssMb: number; hwmMb: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { rssMb: kb('VmRSS') / 1024, hwmMb: kb('VmHWM') / 1024 };
}

/** CPU seconds (user + system) a process has used so far, from /proc/<pid>/stat. */
export function cpuSecondsOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state): utime and stime are fields 14 and 15, in clock ticks (100 per second on Linux).
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** CPU seconds used so far by every live process with this command name (e.g. `postgres`: the server and its backends). */
export function cpuSecondsOfAll(name: string): number {
  let sum = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/comm`, 'utf8').trim() === name) sum += cpuSecondsOf(Number(entry));
    } catch {
      // the process ended while we looked
    }
  }
  return sum;
}

/** Samples VmRSS every `everyMs` until stopped; returns the highest value seen (MB). */
export function sampleRss(pid: number, everyMs = 20): { stop(): number } {
  let peak = 0;
  const take = () => {
    try {
      peak = Math.max(peak, memoryOf(pid).rssMb);
    } catch {
      // the process is gone
    }
  };
  take();
  const timer = setInterval(take, everyMs);
  return {
    stop() {
      clearInterval(timer);
      take();
      return peak;
    },
  };
}

const agent = new http.Agent({ keepAlive: false });

export interface Fetched {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** One request with a fresh connection; the whole body as text. */
export function request(
  method: string,
  url: string,
  headers: Record<string, string> = {},
  body?: unknown,
): Promise<Fetched> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = http.request(
      url,
      {
        method,
        agent,
        headers: {
          accept: 'application/json',
          ...(payload ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } : {}),
          ...headers,
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

/** A JSON request that must answer `expected`; returns the parsed body. */
export async function expectJson<T>(
  method: string,
  url: string,
  headers: Record<string, string>,
  body: unknown,
  expected: number,
): Promise<T> {
  const res = await request(method, url, headers, body);
  if (res.status !== expected)
    throw new Error(`${method} ${url} answered ${res.status}, expected ${expected}: ${res.body.slice(0, 1000)}`);
  return (res.body ? JSON.parse(res.body) : undefined) as T;
}

/**
 * Streams a response to the end without keeping it: time to first and last byte, size, and how
 * often `marker` occurs in the body (counted across chunk borders).
 */
export function download(
  url: string,
  headers: Record<string, string>,
  marker: string,
): Promise<{ status: number; ttfbMs: number; ttlbMs: number; bytes: number; markers: number }> {
  const needle = Buffer.from(marker);
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const req = http.get(url, { agent, headers: { accept: 'application/json', ...headers } }, (res) => {
      const ttfbMs = performance.now() - started;
      let bytes = 0;
      let markers = 0;
      let carry = Buffer.alloc(0);
      res.on('data', (chunk: Buffer) => {
        bytes += chunk.length;
        const buf = carry.length ? Buffer.concat([carry, chunk]) : chunk;
        for (let at = buf.indexOf(needle); at !== -1; at = buf.indexOf(needle, at + needle.length)) markers++;
        carry = Buffer.from(buf.subarray(Math.max(0, buf.length - (needle.length - 1))));
      });
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, ttfbMs, ttlbMs: performance.now() - started, bytes, markers }),
      );
      res.on('error', reject);
    });
    req.on('error', reject);
  });
}

/**
 * Polls `url` until it answers 200 (or `timeoutMs` passes); returns the milliseconds since
 * `sinceMs` (a performance.now() value taken just before the process was spawned).
 */
export async function waitForOk(
  url: string,
  headers: Record<string, string>,
  sinceMs: number,
  child: Child,
  timeoutMs = 30_000,
): Promise<number> {
  for (;;) {
    if (child.proc.exitCode !== null)
      throw new Error(`server exited with ${child.proc.exitCode} while starting:\n${child.output()}`);
    try {
      const res = await request('GET', url, headers);
      if (res.status === 200) return performance.now() - sinceMs;
    } catch {
      // not listening yet
    }
    if (performance.now() - sinceMs > timeoutMs)
      throw new Error(`no 200 from ${url} within ${timeoutMs} ms:\n${child.output()}`);
    await sleep(5);
  }
}

/** The 1-minute load average and the number of cores. */
export function loadAverage(): number {
  return Number(readFileSync('/proc/loadavg', 'utf8').split(' ')[0]);
}

export const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

export const fmt = (n: number, digits = 1): string => (Number.isFinite(n) ? n.toFixed(digits) : '-');
