import autocannon from 'autocannon';
import { cpuSecondsOf } from './lib.js';

// One load scenario with autocannon: a warm-up that is thrown away, then a measured run. Each
// request may get its own path and body (distinct relation pairs, random klanten).

export interface Scenario {
  /** Base URL, e.g. http://127.0.0.1:8000 */
  url: string;
  method: 'GET' | 'POST';
  headers: Record<string, string>;
  /** The path of the next request (called once per request). */
  path: () => string;
  /** The JSON body of the next request, if any. */
  body?: () => unknown;
  /** Extra headers of the next request (If-None-Match for a given path). */
  headersFor?: (path: string) => Record<string, string>;
  /** The status every response should have. */
  expect: number;
  connections: number;
  durationS: number;
  warmupS: number;
}

export interface LoadResult {
  /** Responses with the expected status per second of the measured run. */
  rps: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  ok: number;
  /** Responses with another status, and connection errors/timeouts. */
  unexpected: number;
  errors: number;
  /** The first unexpected answer, to say why. */
  firstUnexpected?: string;
  durationS: number;
  /** CPU of the server process during the measured run, as a share of one core. */
  serverCpu?: number;
  /** CPU of the load generator (this process) during the measured run, as a share of one core. */
  generatorCpu: number;
}

/** The q-quantile (0..1) of sorted values, nearest rank. */
function quantile(sorted: Float64Array, q: number): number {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

function once(s: Scenario, durationS: number): Promise<LoadResult> {
  let firstUnexpected: string | undefined;
  let unexpected = 0;
  // autocannon's own histogram keeps whole milliseconds and only 2xx answers (not the 304s);
  // its 'response' event has the exact time of every answer, so percentiles come from those.
  const latencies: number[] = [];
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url: s.url,
        connections: s.connections,
        pipelining: 1,
        duration: durationS,
        timeout: 10,
        headers: s.headers,
        requests: [
          {
            method: s.method,
            setupRequest: (req) => {
              const path = s.path();
              const extra = s.headersFor?.(path);
              return {
                ...req,
                method: s.method,
                path,
                ...(extra ? { headers: { ...s.headers, ...extra } } : {}),
                ...(s.body ? { body: JSON.stringify(s.body()) } : {}),
              };
            },
            onResponse: (status, body) => {
              if (status !== s.expect) firstUnexpected ??= `${status} ${String(body).slice(0, 300)}`;
            },
          },
        ],
      },
      (err: unknown, result) => {
        if (err) return reject(err as Error);
        const sorted = Float64Array.from(latencies).sort();
        resolve({
          rps: latencies.length / result.duration,
          p50: quantile(sorted, 0.5),
          p90: quantile(sorted, 0.9),
          p99: quantile(sorted, 0.99),
          max: quantile(sorted, 1),
          ok: latencies.length,
          unexpected,
          errors: result.errors + result.timeouts,
          ...(firstUnexpected ? { firstUnexpected } : {}),
          durationS: result.duration,
          generatorCpu: NaN,
        });
      },
    );
    instance.on('response', (_client, status, _bytes, ms) => {
      if (status === s.expect) latencies.push(ms);
      else unexpected++;
    });
  });
}

/** Warm-up, then the measured run; with `serverPid`, also how busy the server was meanwhile. */
export async function measure(s: Scenario, serverPid?: number): Promise<LoadResult> {
  if (s.warmupS > 0) await once(s, s.warmupS);
  const cpu0 = serverPid ? cpuSecondsOf(serverPid) : 0;
  const own0 = process.cpuUsage();
  const t0 = performance.now();
  const r = await once(s, s.durationS);
  const wall = (performance.now() - t0) / 1000;
  const own = process.cpuUsage(own0);
  r.generatorCpu = (own.user + own.system) / 1e6 / wall;
  if (serverPid) r.serverCpu = (cpuSecondsOf(serverPid) - cpu0) / wall;
  return r;
}

/** Each figure the median of several runs of one scenario (a drifting machine's turns). */
export function medianResult(runs: LoadResult[]): LoadResult {
  const mid = (f: (r: LoadResult) => number) => {
    const xs = runs.map(f).sort((a, b) => a - b);
    return xs.length % 2 ? xs[(xs.length - 1) / 2]! : (xs[xs.length / 2 - 1]! + xs[xs.length / 2]!) / 2;
  };
  const firstUnexpected = runs.find((r) => r.firstUnexpected)?.firstUnexpected;
  const withCpu = runs.filter((r) => r.serverCpu !== undefined);
  return {
    rps: mid((r) => r.rps),
    p50: mid((r) => r.p50),
    p90: mid((r) => r.p90),
    p99: mid((r) => r.p99),
    max: Math.max(...runs.map((r) => r.max)),
    ok: runs.reduce((n, r) => n + r.ok, 0),
    unexpected: runs.reduce((n, r) => n + r.unexpected, 0),
    errors: runs.reduce((n, r) => n + r.errors, 0),
    ...(firstUnexpected ? { firstUnexpected } : {}),
    durationS: runs.reduce((n, r) => n + r.durationS, 0),
    ...(withCpu.length === runs.length ? { serverCpu: mid((r) => r.serverCpu!) } : {}),
    generatorCpu: mid((r) => r.generatorCpu),
  };
}
