import { readFileSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';

// Reads a V8 .cpuprofile (node --cpu-prof) and reports where the time went: the functions with
// the most self time, and self time per package (node_modules/<pkg>, our own dist/src/<dir>, node
// internals). Usable alone: `npx tsx bench/profile.ts <file-or-dir.cpuprofile> [top]`.

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

export interface ProfileSummary {
  totalMs: number;
  /** Share of sampled time that was not idle (program, GC, native). */
  busyMs: number;
  frames: { name: string; where: string; ms: number; share: number }[];
  packages: { name: string; ms: number; share: number }[];
  /** Busy time charged to the nearest function of our own code (dist/src) up the stack. */
  ours: { name: string; where: string; ms: number; share: number }[];
}

const root = process.cwd();

function place(url: string): { where: string; pkg: string } {
  if (!url) return { where: '(native)', pkg: '(native/V8)' };
  if (url.startsWith('node:')) return { where: url, pkg: 'node core' };
  const path = url.startsWith('file://') ? new URL(url).pathname : url;
  const nm = path.lastIndexOf('/node_modules/');
  if (nm >= 0) {
    const rest = path.slice(nm + '/node_modules/'.length).split('/');
    const pkg = rest[0]!.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]!;
    return { where: `${pkg}/${rest.slice(rest[0]!.startsWith('@') ? 2 : 1).join('/')}`, pkg };
  }
  const rel = relative(root, path);
  const m = /^dist\/(src|migrations)\/([^/]+)/.exec(rel);
  return {
    where: rel,
    pkg: m ? `kic ${m[1] === 'src' ? (m[2]!.endsWith('.js') ? m[2]! : `${m[2]}/`) : 'migrations'}` : rel,
  };
}

const IDLE = new Set(['(idle)', '(program)']);

export function summarizeProfile(file: string, top = 15): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  profile.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const isOurs = (f: CallFrame) => /\/dist\/src\//.test(f.url);
  const oursOf = new Map<number, string | null>();
  const nearestOurs = (id: number): string | null => {
    const known = oursOf.get(id);
    if (known !== undefined) return known;
    const f = byId.get(id)!.callFrame;
    const p = parent.get(id);
    const v = isOurs(f)
      ? `${f.functionName || '(anonymous)'}|${place(f.url).where}:${f.lineNumber + 1}`
      : p === undefined
        ? null
        : nearestOurs(p);
    oursOf.set(id, v);
    return v;
  };
  const ours = new Map<string, number>();
  const frames = new Map<string, { name: string; where: string; us: number }>();
  const packages = new Map<string, number>();
  let total = 0;
  let busy = 0;
  for (const [id, us] of selfUs) {
    const f = byId.get(id)!.callFrame;
    total += us;
    if (f.functionName === '(idle)') continue;
    busy += us;
    const { where, pkg } = place(f.url);
    const name = f.functionName || '(anonymous)';
    const key = `${name}@${where}:${f.lineNumber + 1}`;
    const entry = frames.get(key) ?? { name, where: f.url ? `${where}:${f.lineNumber + 1}` : where, us: 0 };
    entry.us += us;
    frames.set(key, entry);
    const group = IDLE.has(name) || name === '(garbage collector)' ? name : pkg;
    packages.set(group, (packages.get(group) ?? 0) + us);
    const mine = nearestOurs(id) ?? '(not under our code: HTTP parsing, express, timers, GC)|';
    ours.set(mine, (ours.get(mine) ?? 0) + us);
  }
  const share = (us: number) => (busy ? us / busy : 0);
  return {
    totalMs: total / 1000,
    busyMs: busy / 1000,
    frames: [...frames.values()]
      .sort((a, b) => b.us - a.us)
      .slice(0, top)
      .map((f) => ({ name: f.name, where: f.where, ms: f.us / 1000, share: share(f.us) })),
    packages: [...packages.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, us]) => ({ name, ms: us / 1000, share: share(us) })),
    ours: [...ours.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([key, us]) => {
        const [name, where] = key.split('|') as [string, string];
        return { name, where, ms: us / 1000, share: share(us) };
      }),
  };
}

/** The newest .cpuprofile in a directory. */
export function latestProfile(dir: string): string | undefined {
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.cpuprofile'))
    .sort();
  return files.length ? join(dir, files[files.length - 1]!) : undefined;
}

export function profileMarkdown(title: string, s: ProfileSummary): string {
  const pct = (x: number) => `${(x * 100).toFixed(1)} %`;
  return [
    `**${title}** — ${s.busyMs.toFixed(0)} ms busy of ${s.totalMs.toFixed(0)} ms sampled`,
    '',
    '| self time by package | ms | share of busy |',
    '|---|---:|---:|',
    ...s.packages.map((p) => `| ${p.name} | ${p.ms.toFixed(0)} | ${pct(p.share)} |`),
    '',
    '| top frames (self time) | where | ms | share |',
    '|---|---|---:|---:|',
    ...s.frames.map((f) => `| \`${f.name}\` | ${f.where} | ${f.ms.toFixed(0)} | ${pct(f.share)} |`),
    '',
    '| charged to the nearest function of ours up the stack | where | ms | share |',
    '|---|---|---:|---:|',
    ...s.ours.map((f) => `| \`${f.name}\` | ${f.where} | ${f.ms.toFixed(0)} | ${pct(f.share)} |`),
    '',
  ].join('\n');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const target = process.argv[2];
  if (!target) throw new Error('usage: tsx bench/profile.ts <file.cpuprofile | dir> [top]');
  const file = target.endsWith('.cpuprofile') ? target : latestProfile(target);
  if (!file) throw new Error(`no .cpuprofile in ${target}`);
  process.stdout.write(profileMarkdown(file, summarizeProfile(file, Number(process.argv[3] ?? 20))));
}
