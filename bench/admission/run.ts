/**
 * Admission speed, in one run against an embedded PostgreSQL (the shared cache) and the live npm registry:
 *  - validations/s with a warm cache (sequential, and 16 at a time over distinct packages),
 *  - p50/p99 latency of a cold npm lookup (cache row deleted before each; a bounded 20 lookups).
 * Run: npm run bench:admission  (or npx tsx bench/admission/run.ts [--seconds 2] [--cold 20])
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { startEmbeddedPostgres } from '../../api/db/embedded.ts';
import { migrate } from '../../api/db/migrate.ts';
import { createPrisma } from '../../api/db/pool.ts';
import { createAdmission } from '../../api/packages/admission.ts';
import { systemClock } from '../../api/platform/clock.ts';
import { createLogger } from '../../api/platform/logger.ts';

const arg = (name: string, fallback: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const SECONDS = arg('seconds', 2);
const COLD = Math.min(arg('cold', 20), 50);
const PACKAGES = [
  '@modelcontextprotocol/server-everything',
  '@modelcontextprotocol/server-filesystem',
  '@modelcontextprotocol/server-memory',
  '@modelcontextprotocol/server-sequential-thinking',
  '@playwright/mcp',
];

const percentile = (sorted: number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;

async function main(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'hangar-bench-admission-'));
  const server = await startEmbeddedPostgres({ dataDir, database: 'bench' });
  const pool = new pg.Pool({ connectionString: server.url('bench'), max: 10 });
  const db = createPrisma(pool);
  try {
    await migrate(pool);
    const admission = createAdmission({
      db,
      clock: systemClock,
      logger: createLogger({ level: 'silent' }),
      npmRegistryUrl: 'https://registry.npmjs.org/',
      pypiBaseUrl: 'https://pypi.org',
      runnerPythonVersion: '3.12',
      cacheTtlMs: 60 * 60_000,
    });

    const cold: number[] = [];
    for (let i = 0; i < COLD; i += 1) {
      const name = PACKAGES[i % PACKAGES.length]!;
      await db.packageCache.deleteMany({ where: { key: `npm:packument:${name}` } });
      const start = performance.now();
      await admission.validatePackage(`npm:${name}`);
      cold.push(performance.now() - start);
    }
    cold.sort((a, b) => a - b);

    const specs = PACKAGES.map((p) => `npm:${p}`);
    let count = 0;
    let deadline = performance.now() + SECONDS * 1000;
    let start = performance.now();
    while (performance.now() < deadline) await admission.validatePackage(specs[count++ % specs.length]!);
    const sequential = count / ((performance.now() - start) / 1000);

    count = 0;
    deadline = performance.now() + SECONDS * 1000;
    start = performance.now();
    await Promise.all(
      Array.from({ length: 16 }, async (_, worker) => {
        while (performance.now() < deadline) {
          await admission.validatePackage(specs[(worker + count++) % specs.length]!);
        }
      }),
    );
    const concurrent = count / ((performance.now() - start) / 1000);

    console.log(`admission benchmark (${new Date().toISOString()}, Node ${process.version})`);
    console.log(`  warm cache, sequential:        ${sequential.toFixed(0)} validations/s`);
    console.log(`  warm cache, 16 concurrent:     ${concurrent.toFixed(0)} validations/s`);
    console.log(`  cold npm lookup (live, n=${cold.length}): p50 ${percentile(cold, 50).toFixed(0)} ms, p99 ${percentile(cold, 99).toFixed(0)} ms, min ${cold[0]!.toFixed(0)} ms, max ${cold.at(-1)!.toFixed(0)} ms`);
  } finally {
    await db.$disconnect();
    await pool.end();
    await server.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

await main();
