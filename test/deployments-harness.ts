import { FlyMachineDriver } from '../api/machines/fly-driver.ts';
import type { MachineDriver } from '../api/machines/driver.ts';
import { FlyClient } from '../api/machines/fly-client.ts';
import { createLogger } from '../api/platform/logger.ts';
import type { ManualClock } from '../api/platform/clock.ts';
import type { PassResult, ReconcilerDeps } from '../api/deployments/reconciler.ts';
import type { ReconcilerSettings } from '../api/deployments/decide.ts';
import { tenantAppName } from '../api/machines/fly-driver.ts';
import { FakeNpmRegistry } from '../api/packages/fakes/fake-npm-registry.ts';
import { createTestResolver } from '../api/launch-spec/test-resolver.ts';
import { FakeFlyServer, type FakeFlyOptions } from './fake-fly/server.ts';
import { TEST_IMAGE, TEST_TOKEN } from './fake-fly/harness.ts';
import { createTestHangar, type TestHangar } from './hangar.ts';
import { jsonInit, signUpUser, type TestUser } from './accounts.ts';

/** The package every deployment test deploys, published on the fake npm registry 30 days before "now". */
export const TEST_PACKAGE = '@acme/mcp-tools';

export const FAST_RECONCILER: Partial<ReconcilerSettings> = {
  intervalMs: 1_000,
  busyIntervalMs: 1_000,
  leaseMs: 30_000,
  startGraceMs: 2_000,
  healthFailureThreshold: 3,
  restartBackoffBaseMs: 1_000,
  errorBackoffBaseMs: 500,
  errorBackoffMaxMs: 2_000,
};

export interface DeploymentWorld {
  hangar: TestHangar;
  fly: FakeFlyServer;
  npm: FakeNpmRegistry;
  driver: MachineDriver;
  clock: ManualClock;
  owner: TestUser;
  /** The reconciler settings the world's Hangar runs with. */
  settings: ReconcilerSettings;
  /**
   * Dependencies for another reconciler instance on the same database, pool and clock (`holder` and the
   * driver may differ), for `runReconcilerPass`: two instances, or one whose driver misbehaves.
   */
  reconcilerDeps(overrides: Partial<ReconcilerDeps> & { holder: string }): ReconcilerDeps;
  /** The fake Fly app name of a team. */
  appOf(teamId: string): string;
  /** Runs reconciler passes (moving the clock by one interval before each) until `done` or `maxPasses`. */
  settle(done: () => Promise<boolean>, maxPasses?: number): Promise<PassResult[]>;
  deploy(user: TestUser, body: Record<string, unknown>, headers?: Record<string, string>): Promise<Response>;
  close(): Promise<void>;
}

/** A Fly driver on the fake Machines API, with fast retries so fault tests stay quick. */
export function fakeFlyDriver(fly: FakeFlyServer): FlyMachineDriver {
  const logger = createLogger({ level: 'silent' });
  const client = new FlyClient({ baseUrl: fly.url, token: TEST_TOKEN, orgSlug: fly.orgSlug, logger, timeoutMs: 2_000, retry: { attempts: 3, baseDelayMs: 5, maxDelayMs: 20 } });
  return new FlyMachineDriver({ client, logger, appPrefix: 'hangar', runnerImage: TEST_IMAGE, hangarVersion: '0.1.0', restartWaitSeconds: 5 });
}

/**
 * A real Hangar whose deployments run on the fake Fly API and whose packages come from a fake npm registry:
 * everything real except the two outside services, which speak their real wire protocols.
 */
export async function createDeploymentWorld(options: { fly?: FakeFlyOptions; reconciler?: Partial<ReconcilerSettings>; env?: Record<string, string> } = {}): Promise<DeploymentWorld> {
  const fly = await FakeFlyServer.start({ token: TEST_TOKEN, transitionMs: 2, ...options.fly });
  const npm = await FakeNpmRegistry.start();
  const old = new Date(Date.now() - 30 * 86_400_000).toISOString();
  npm.publish(TEST_PACKAGE, [{ version: '1.0.0', publishedAt: old }, { version: '1.1.0', publishedAt: old }]);
  const driver = fakeFlyDriver(fly);
  const hangar = await createTestHangar({
    env: { NPM_REGISTRY_URL: npm.url, HANGAR_RATE_LIMIT_PER_MINUTE: '100000', ...options.env },
    driver,
    reconciler: { ...FAST_RECONCILER, ...options.reconciler },
    resolveHost: createTestResolver(),
  });
  const clock = hangar.clock as ManualClock;
  const owner = await signUpUser(hangar, { verified: true });
  // The settings and dependencies compose.ts built for this Hangar's own reconciler: one source for both.
  const base = hangar.services.reconciler.deps;
  const settings = base.settings;
  const interval = settings.intervalMs;
  return {
    hangar,
    fly,
    npm,
    driver,
    clock,
    owner,
    settings,
    reconcilerDeps(overrides) {
      return { ...base, ...overrides };
    },
    appOf(teamId) {
      return tenantAppName('hangar', teamId);
    },
    async settle(done, maxPasses = 60) {
      const passes: PassResult[] = [];
      for (let i = 0; i < maxPasses; i += 1) {
        if (await done()) return passes;
        clock.advance(interval);
        passes.push(await hangar.services.reconciler.passOnce());
        // Let the fake's asynchronous state transitions happen in real time.
        await new Promise((r) => setTimeout(r, 10));
      }
      if (await done()) return passes;
      throw new Error(`not settled after ${maxPasses} passes`);
    },
    deploy(user, body, headers = {}) {
      return hangar.request(`/v1/teams/${user.team.id}/deployments`, jsonInit('POST', { ...user.keyHeaders, ...headers }, body));
    },
    async close() {
      await hangar.dispose();
      await fly.close();
      await npm.server.close();
    },
  };
}
