import { defineConfig } from 'vitest/config';

const ALL = ['api/**/*.test.ts', 'runner/**/*.test.ts', 'cli/**/*.test.ts', 'test/**/*.test.ts', 'bench/**/*.test.ts'];

/**
 * Pure modules: no database, no child processes, no network beyond an in-process fake on loopback.
 * `npm run test:unit` runs only these, in threads, in seconds.
 */
const UNIT = [
  'api/catalog/fields.test.ts',
  'api/catalog/merge.test.ts',
  'api/config/config.test.ts',
  'api/deployments/decide.test.ts',
  'api/launch-spec/*.test.ts',
  'api/machines/fly-client.test.ts',
  'api/machines/fly-driver.test.ts',
  'api/machines/fly-errors.test.ts',
  'api/machines/fly-wire.test.ts',
  'api/machines/machine-config.test.ts',
  'api/machines/rate-limiter.test.ts',
  'api/metrics/registry.test.ts',
  'api/packages/pep440.test.ts',
  'api/packages/typosquat.test.ts',
  'api/platform/*.test.ts',
  'api/vault/fernet.test.ts',
  'api/vault/fernet-interop.test.ts',
  'api/vault/keyring.test.ts',
  'api/vault/vault.test.ts',
  'bench/load/stats.test.ts',
  'cli/units.test.ts',
  'test/fake-fly/server.test.ts',
];

/** Tests that reach the real npm registry (skipped offline by the tests themselves). */
const LIVE = ['api/**/*-live.test.ts'];

export default defineConfig({
  test: {
    maxWorkers: 3,
    testTimeout: 30_000,
    hookTimeout: 60_000,
    reporters: ['default'],
    // `npm test` runs all three projects; `vitest run --project unit` one of them.
    projects: [
      { extends: true, test: { name: 'unit', include: UNIT, pool: 'threads' } },
      // A real embedded PostgreSQL (one per run, a database per file: test/global-setup.ts, test/db.ts), real processes.
      { extends: true, test: { name: 'integration', include: ALL, exclude: [...UNIT, ...LIVE], globalSetup: ['./test/global-setup.ts'], pool: 'forks' } },
      { extends: true, test: { name: 'live', include: LIVE, globalSetup: ['./test/global-setup.ts'], pool: 'forks' } },
    ],
  },
});
