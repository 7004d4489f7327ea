/**
 * Checks of the files that deploy Hangar itself: the API Dockerfile, fly.toml and the operator guide. Used by
 * test/deploy-files.test.ts, and runnable by hand: `npm run lint:deploy` (prints every problem, exit 1 if any).
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { run as lintDockerfile } from 'dockerfilelint';
import { parse as parseToml } from 'smol-toml';
import { EnvSchema } from '../api/config/config.ts';

export const ROOT = normalize(join(dirname(fileURLToPath(import.meta.url)), '..'));

/** Names the config schema knows (api/config/config.ts EnvSchema). */
export const KNOWN_ENV = new Set(Object.keys(EnvSchema.shape));

/** dockerfilelint's findings for a Dockerfile, as `line: rule: title`. */
export function dockerfileProblems(path: string): string[] {
  return lintDockerfile(ROOT, readFileSync(path, 'utf8')).map((item) => `${item.line}: ${item.rule}: ${item.title}`);
}

/** `fly secrets set NAME=...` names in a Markdown text (also `NAME=...` continuation tokens of one command). */
export function secretsSetNames(markdown: string): string[] {
  const names: string[] = [];
  for (const match of markdown.matchAll(/fly secrets set((?:[ \t]+(?:\\\r?\n[ \t]*)?[^\s]+)+)/g)) {
    for (const token of (match[1] ?? '').split(/\s+/)) {
      const name = /^([A-Z][A-Z0-9_]*)=/.exec(token)?.[1];
      if (name) names.push(name);
    }
  }
  return names;
}

/** Structural problems of fly.toml (empty when it deploys Hangar as docs/operating.md describes). */
export function flyTomlProblems(text: string): string[] {
  const problems: string[] = [];
  const toml = parseToml(text) as Record<string, unknown>;
  const env = (toml.env ?? {}) as Record<string, unknown>;
  for (const name of Object.keys(env)) if (!KNOWN_ENV.has(name)) problems.push(`[env] ${name} is not a variable Hangar reads`);
  for (const [name, value] of Object.entries(env)) if (typeof value !== 'string') problems.push(`[env] ${name} must be a string`);
  const deploy = (toml.deploy ?? {}) as Record<string, unknown>;
  if (deploy.release_command !== 'node --import tsx scripts/migrate.ts') problems.push('[deploy] release_command must run scripts/migrate.ts');
  const http = (toml.http_service ?? {}) as Record<string, unknown>;
  if (http.internal_port !== 8080 || env.PORT !== '8080') problems.push('http_service.internal_port and PORT must both be 8080');
  if (typeof http.min_machines_running !== 'number' || http.min_machines_running < 2) problems.push('http_service.min_machines_running must be at least 2');
  if (http.force_https !== true) problems.push('http_service.force_https must be true');
  const concurrency = (http.concurrency ?? {}) as Record<string, unknown>;
  const soft = concurrency.soft_limit;
  const hard = concurrency.hard_limit;
  if (typeof soft !== 'number' || typeof hard !== 'number' || soft <= 0 || soft > hard) problems.push('http_service.concurrency needs 0 < soft_limit <= hard_limit');
  const checks = (Array.isArray(http.checks) ? http.checks : []) as Array<Record<string, unknown>>;
  for (const path of ['/healthz', '/readyz']) {
    const check = checks.find((c) => c.path === path);
    if (!check || check.method !== 'GET' || typeof check.interval !== 'string' || typeof check.timeout !== 'string') {
      problems.push(`http_service.checks needs a GET ${path} check with interval and timeout`);
    }
  }
  const build = (toml.build ?? {}) as Record<string, unknown>;
  if (build.dockerfile !== 'Dockerfile') problems.push('[build] dockerfile must be the top-level Dockerfile');
  return problems;
}

/** Relative module specifiers a TypeScript file imports (static, re-exports and dynamic `import('...')`). */
function localImports(source: string): string[] {
  const found = [...source.matchAll(/(?:from|import)\s*\(?\s*'(\.{1,2}\/[^']+)'/g)].map((m) => m[1] as string);
  return [...new Set(found)];
}

/** Every repository file reachable by relative imports from `entries` (paths relative to ROOT). */
export function reachableFiles(entries: readonly string[]): string[] {
  const seen = new Set<string>();
  const queue = [...entries];
  while (queue.length > 0) {
    const file = queue.pop() as string;
    if (seen.has(file)) continue;
    seen.add(file);
    if (!file.endsWith('.ts')) continue;
    for (const spec of localImports(readFileSync(join(ROOT, file), 'utf8'))) {
      const target = relative(ROOT, normalize(join(ROOT, dirname(file), spec)));
      if (existsSync(join(ROOT, target))) queue.push(target);
    }
  }
  return [...seen].sort();
}

/** What the API image keeps (see the Dockerfile's `source` stage): true when `file` ships. */
export function shipsInImage(file: string): boolean {
  const copied = ['api/', 'scripts/', 'prisma/migrations/', 'runner/'].some((dir) => file.startsWith(dir)) || file === 'package.json';
  const pruned =
    file.endsWith('.test.ts') ||
    ['api/vault/fixtures/', 'api/packages/fakes/', 'runner/fixtures/'].some((dir) => file.startsWith(dir)) ||
    ['runner/test-support.ts', 'runner/Dockerfile'].includes(file);
  return copied && !pruned;
}

function main(): void {
  const problems = [
    ...dockerfileProblems(join(ROOT, 'Dockerfile')).map((p) => `Dockerfile:${p}`),
    ...dockerfileProblems(join(ROOT, 'runner/Dockerfile')).map((p) => `runner/Dockerfile:${p}`),
    ...flyTomlProblems(readFileSync(join(ROOT, 'fly.toml'), 'utf8')).map((p) => `fly.toml: ${p}`),
    ...secretsSetNames(readFileSync(join(ROOT, 'docs/operating.md'), 'utf8'))
      .filter((name) => !KNOWN_ENV.has(name))
      .map((name) => `docs/operating.md: fly secrets set ${name}: not a variable Hangar reads`),
  ];
  for (const problem of problems) process.stdout.write(`${problem}\n`);
  process.stdout.write(problems.length === 0 ? 'deploy files: ok\n' : `deploy files: ${problems.length} problem(s)\n`);
  process.exitCode = problems.length === 0 ? 0 : 1;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === normalize(process.argv[1])) main();
