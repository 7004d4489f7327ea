import { readFileSync } from 'node:fs';
import { z } from 'zod';

const WellKnownSchema = z.object({ npm: z.array(z.string().min(1)), pypi: z.array(z.string().min(1)) });

/** The names typosquat checks compare against, per runtime. */
export type WellKnownPackages = z.infer<typeof WellKnownSchema>;

/** Reads the well-known package list (a data file beside this module, or another file given by path). */
export function loadWellKnownPackages(path: string | URL = new URL('./data/well-known-mcp-packages.json', import.meta.url)): WellKnownPackages {
  return WellKnownSchema.parse(JSON.parse(readFileSync(path, 'utf8')));
}

/** Optimal-string-alignment distance: insertions, deletions, substitutions and adjacent swaps each cost 1. */
export function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[][] = Array.from({ length: rows }, (_, i) => Array.from({ length: cols }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i < rows; i += 1) {
    for (let j = 1; j < cols; j += 1) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, d[i - 2]![j - 2]! + 1);
      d[i]![j] = best;
    }
  }
  return d[a.length]![b.length]!;
}

const unscoped = (name: string): string => name.replace(/^@[^/]+\//, '');

/**
 * The well-known name `name` imitates, if any: within edit distance 1 (2 for names of 10+ characters) of
 * one, or the bare name of a well-known scoped package taken without its scope. An exact match is never a
 * typosquat. Names are compared lowercased (and PEP 503-normalised by the caller for PyPI).
 */
export function findTyposquatTarget(name: string, wellKnown: readonly string[]): string | undefined {
  const candidate = name.toLowerCase();
  if (wellKnown.some((known) => known.toLowerCase() === candidate)) return undefined;
  const limit = candidate.length >= 10 ? 2 : 1;
  for (const known of wellKnown) {
    const target = known.toLowerCase();
    if (Math.abs(target.length - candidate.length) <= limit && editDistance(candidate, target) <= limit) return known;
    if (target.startsWith('@') && !candidate.startsWith('@') && unscoped(target) === candidate) return known;
  }
  return undefined;
}
