/**
 * Summarises a V8 `.cpuprofile` (from `node --cpu-prof`): self time by package/file and the top functions,
 * as a share of the profile's samples, so bench/README.md can say where the time goes.
 * Run: `npx tsx bench/api/profile-summary.ts file.cpuprofile [top]`.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';

const ProfileSchema = z.object({
  nodes: z.array(z.object({ id: z.number(), callFrame: z.object({ functionName: z.string(), url: z.string(), lineNumber: z.number() }), children: z.array(z.number()).optional() })),
  samples: z.array(z.number()),
});

const [file, topArg] = process.argv.slice(2);
if (!file) throw new Error('usage: profile-summary.ts file.cpuprofile [top]');
const profile = ProfileSchema.parse(JSON.parse(readFileSync(file, 'utf8')));
const top = Number(topArg ?? 25);
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const counts = new Map<number, number>();
for (const s of profile.samples) counts.set(s, (counts.get(s) ?? 0) + 1);
const total = profile.samples.length;

/** node_modules/<pkg>, api/<dir>/<file>, node:<internal>, or (program)/(idle)/(gc). */
function area(url: string, fn: string): string {
  if (!url) return `(${fn || 'native'})`.replace(/^\(\((.*)\)\)$/, '($1)');
  const nm = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (nm) return nm[1]!;
  const own = /\/((?:api|runner|bench|test)\/.*)$/.exec(url);
  if (own) return own[1]!;
  if (url.startsWith('node:')) return url;
  return url;
}

const areas = new Map<string, number>();
const fns = new Map<string, number>();
for (const [id, n] of counts) {
  const node = byId.get(id)!;
  const { functionName, url, lineNumber } = node.callFrame;
  const a = area(url, functionName);
  areas.set(a, (areas.get(a) ?? 0) + n);
  const f = `${functionName || '(anonymous)'} ${a}:${lineNumber + 1}`;
  fns.set(f, (fns.get(f) ?? 0) + n);
}
// Inclusive time: every sample counts once for each area and function on its stack.
const parent = new Map<number, number>();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const incAreas = new Map<string, number>();
const incFns = new Map<string, number>();
for (const [id, n] of counts) {
  const seenA = new Set<string>();
  const seenF = new Set<string>();
  for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
    const { functionName, url, lineNumber } = byId.get(cur)!.callFrame;
    const a = area(url, functionName);
    seenA.add(a);
    if (url && !url.startsWith('node:')) seenF.add(`${functionName || '(anonymous)'} ${a}:${lineNumber + 1}`);
  }
  for (const a of seenA) incAreas.set(a, (incAreas.get(a) ?? 0) + n);
  for (const f of seenF) incFns.set(f, (incFns.get(f) ?? 0) + n);
}
const pct = (n: number) => `${((100 * n) / total).toFixed(1).padStart(5)}%`;
console.log(`${total} samples`);
console.log('self time by area:');
for (const [a, n] of [...areas].sort((x, y) => y[1] - x[1]).slice(0, top)) console.log(`  ${pct(n)}  ${a}`);
console.log('self time by function:');
for (const [f, n] of [...fns].sort((x, y) => y[1] - x[1]).slice(0, top)) console.log(`  ${pct(n)}  ${f}`);
console.log('inclusive time by area:');
for (const [a, n] of [...incAreas].sort((x, y) => y[1] - x[1]).slice(0, top)) console.log(`  ${pct(n)}  ${a}`);
console.log('inclusive time by function (project and packages):');
for (const [f, n] of [...incFns].sort((x, y) => y[1] - x[1]).slice(0, top)) console.log(`  ${pct(n)}  ${f}`);
