import { serve } from '@hono/node-server';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { FakeNpmRegistry } from '../../api/packages/fakes/fake-npm-registry.ts';
import { FakePypi } from '../../api/packages/fakes/fake-pypi.ts';
import { createTestResolver } from '../../api/launch-spec/test-resolver.ts';
import { jsonInit, signUpUser, type TestUser } from '../accounts.ts';
import { createTestHangar, type TestHangar } from '../hangar.ts';

/** The package the fuzz world's deployments use, on its fake npm registry. */
export const FUZZ_PACKAGE = '@fuzz/mcp-tools';

/** Ids of one tenant's resources, to aim path parameters at. */
export interface TenantIds {
  teamId: string;
  teamSlug: string;
  userId: string;
  deploymentId: string;
  credentialName: string;
  invitationId: string;
  keyId: string;
}

/**
 * A real Hangar served on 127.0.0.1 (real HTTP server, real PostgreSQL), with fake npm/PyPI so nothing
 * leaves the machine, and three users: `attacker` (A, whose credentials most requests carry), `victim` (B,
 * whose resources are the other-tenant ids) and `admin` (a global admin, for the /v1/admin bodies).
 */
export interface FuzzWorld {
  hangar: TestHangar;
  baseUrl: string;
  port: number;
  attacker: TestUser;
  victim: TestUser;
  admin: TestUser;
  own: TenantIds;
  other: TenantIds;
  /** Row count of every table (the `_prisma_migrations` bookkeeping and audited refusals aside). */
  countRows(): Promise<Record<string, number>>;
  close(): Promise<void>;
}

async function must(res: Response, what: string): Promise<Record<string, unknown>> {
  const text = await res.text();
  if (res.status >= 300) throw new Error(`fuzz world: ${what} failed: ${res.status} ${text.slice(0, 300)}`);
  return JSON.parse(text) as Record<string, unknown>;
}

async function tenantResources(hangar: TestHangar, user: TestUser, tag: string): Promise<TenantIds> {
  const deployment = await must(
    await hangar.request(`/v1/teams/${user.team.id}/deployments`, jsonInit('POST', user.keyHeaders, { name: `fuzz-${tag}`, package: `npm:${FUZZ_PACKAGE}@1.0.0` })),
    'create deployment',
  );
  const invitation = await must(
    await hangar.request(`/v1/teams/${user.team.id}/invitations`, jsonInit('POST', user.keyHeaders, { email: `invitee-${tag}@example.com`, role: 'member' })),
    'create invitation',
  );
  const credentialName = `FUZZ_${tag.toUpperCase()}_TOKEN`;
  await hangar.services.db.credential.create({
    data: { id: `cred_fuzz${tag}`, scope: 'team', teamId: user.team.id, name: credentialName, ...hangar.services.vault.encrypt(`fuzz-${tag}-secret`) },
  });
  // A spare key for the fuzzer to aim key routes at: rotating or revoking the key the tenant authenticates
  // with would end the run early (the final check that the attacker's key still works would fail).
  const spare = await hangar.request('/v1/me/keys', jsonInit('POST', user.keyHeaders, { name: `spare-${tag}`, scopes: ['read'] }));
  if (spare.status !== 201) throw new Error(`spare key: ${spare.status}`);
  return {
    teamId: user.team.id,
    teamSlug: user.team.slug,
    userId: user.user.id,
    deploymentId: String(deployment.id),
    credentialName,
    invitationId: String(invitation.id),
    keyId: ((await spare.json()) as { id: string }).id,
  };
}

/** Builds the fuzz world; `close()` releases everything. */
export async function createFuzzWorld(): Promise<FuzzWorld> {
  const npm = await FakeNpmRegistry.start();
  const pypi = await FakePypi.start();
  const old = new Date(Date.now() - 30 * 86_400_000).toISOString();
  npm.publish(FUZZ_PACKAGE, [{ version: '1.0.0', publishedAt: old }]);
  const hangar = await createTestHangar({
    env: {
      NPM_REGISTRY_URL: npm.url,
      PYPI_BASE_URL: pypi.url,
      LOG_LEVEL: 'warn',
      // Rate limits stay on (the login limits answer 429s), but the fuzzer's own key must not run dry.
      HANGAR_RATE_LIMIT_PER_MINUTE: '1000000',
      HANGAR_RATE_LIMIT_STORE: 'memory',
    },
    resolveHost: createTestResolver(),
  });
  const [attacker, victim, admin] = await Promise.all([signUpUser(hangar), signUpUser(hangar), signUpUser(hangar, { globalAdmin: true })]);
  const own = await tenantResources(hangar, attacker, 'a');
  const other = await tenantResources(hangar, victim, 'b');

  const server = serve({ fetch: hangar.app.fetch, port: 0, hostname: '127.0.0.1' }) as Server;
  await new Promise<void>((resolve) => (server.listening ? resolve() : server.once('listening', () => resolve())));
  const port = (server.address() as AddressInfo).port;

  const tables = (
    await hangar.services.pool.query<{ tablename: string }>(`SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> '_prisma_migrations' ORDER BY tablename`)
  ).rows.map((r) => r.tablename);
  // A refused login or password change is audited on purpose (outcome 'failure'): the one record a
  // rejected request may leave. Everything else must stay as it was.
  const countSql = tables
    .filter((t) => t !== 'package_cache') // registry answers, cached on every lookup by design (also not-found)
    .map((t) => `SELECT '${t}' AS t, count(*)::int AS n FROM "${t}"${t === 'audit_log' ? ` WHERE outcome <> 'failure'` : ''}`)
    .join(' UNION ALL ');

  return {
    hangar,
    baseUrl: `http://127.0.0.1:${port}`,
    port,
    attacker,
    victim,
    admin,
    own,
    other,
    async countRows() {
      const rows = (await hangar.services.pool.query<{ t: string; n: number }>(countSql)).rows;
      return Object.fromEntries(rows.map((r) => [r.t, r.n]));
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await hangar.dispose();
      await npm.server.close();
      await pypi.close();
    },
  };
}
