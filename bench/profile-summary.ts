/**
 * Summarizes V8 CPU profiles (`BENCH_CPU_PROF=1 npm run bench` writes them to
 * dist/bench-profiles): self time by function and by package, inclusive time of chosen frames.
 *
 *   node dist/bench/bench/profile-summary.js <file>.cpuprofile [requests] [filter]
 *
 * With the number of requests the profile covers, times are also given in µs per request.
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

function packageOf(url: string): string {
  const match = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (match) return match[1];
  if (url.includes('/libs/mcp-auth/')) return '(libs/mcp-auth)';
  if (url.includes('/apps/')) return '(sample app)';
  if (url.includes('/bench/')) return '(bench)';
  if (url.startsWith('node:') || url === '') return '(node internals / native)';
  return url;
}

const [file, requestsText, filter] = process.argv.slice(2);
const requests = Number(requestsText) || 0;
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
const byId = new Map(profile.nodes.map((node) => [node.id, node]));
const parent = new Map<number, number>();
for (const node of profile.nodes)
  for (const child of node.children ?? []) parent.set(child, node.id);

const self = new Map<number, number>();
let total = 0;
profile.samples.forEach((id, i) => {
  const dt = profile.timeDeltas[i] ?? 0;
  self.set(id, (self.get(id) ?? 0) + dt);
  total += dt;
});
const idle = [...self.entries()]
  .filter(([id]) => ['(idle)', '(program)'].includes(byId.get(id)?.callFrame.functionName ?? ''))
  .reduce((sum, [, t]) => sum + t, 0);
const busy = total - idle;

const selfByFunction = new Map<string, number>();
const selfByPackage = new Map<string, number>();
const inclusive = new Map<string, number>();
for (const [id, t] of self) {
  const frame = byId.get(id)!.callFrame;
  if (['(idle)', '(program)'].includes(frame.functionName)) continue;
  const key = `${frame.functionName || '(anonymous)'} ${frame.url.replace(/^.*node_modules\//, '').replace(/^.*\/dist\/bench\//, '')}:${frame.lineNumber}`;
  selfByFunction.set(key, (selfByFunction.get(key) ?? 0) + t);
  const pkg = packageOf(frame.url);
  selfByPackage.set(pkg, (selfByPackage.get(pkg) ?? 0) + t);
  // Inclusive time: every distinct frame on the stack of this sample.
  const seen = new Set<string>();
  for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
    const f = byId.get(cur)!.callFrame;
    const name = `${f.functionName || '(anonymous)'} ${packageOf(f.url)}`;
    if (seen.has(name)) continue;
    seen.add(name);
    inclusive.set(name, (inclusive.get(name) ?? 0) + t);
  }
}

const pct = (t: number): string =>
  `${((100 * t) / busy).toFixed(1).padStart(5)} %` +
  (requests ? `${(t / requests).toFixed(2).padStart(8)} µs/req` : '');
const top = (map: Map<string, number>, n: number, match?: string) =>
  [...map.entries()]
    .filter(([k]) => !match || k.toLowerCase().includes(match.toLowerCase()))
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([k, t]) => `${pct(t)}  ${k}`)
    .join('\n');

process.stdout.write(
  `busy ${(busy / 1000).toFixed(0)} ms of ${(total / 1000).toFixed(0)} ms sampled` +
    (requests ? `, ${(busy / requests).toFixed(1)} µs of CPU (main thread) per request` : '') +
    `\n\n` +
    `self time by package:\n${top(selfByPackage, 15)}\n\n` +
    `self time by function:\n${top(selfByFunction, 30)}\n\n` +
    `inclusive time${filter ? ` (matching "${filter}")` : ''}:\n${top(inclusive, 40, filter)}\n`,
);
