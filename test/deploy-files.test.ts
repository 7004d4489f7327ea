import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseToml } from 'smol-toml';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../api/config/config.ts';
import { generateFernetKey } from '../api/vault/fernet.ts';
import {
  dockerfileProblems,
  flyTomlProblems,
  KNOWN_ENV,
  reachableFiles,
  ROOT,
  secretsSetNames,
  shipsInImage,
} from '../scripts/lint-deploy-files.ts';

const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');

describe('API Dockerfile', () => {
  const dockerfile = read('Dockerfile');

  it('passes dockerfilelint', () => {
    expect(dockerfileProblems(join(ROOT, 'Dockerfile'))).toEqual([]);
  });

  it('is multi-stage on a digest-pinned node:20, installs production dependencies only, and runs as non-root', () => {
    const froms = [...dockerfile.matchAll(/^FROM (\S+)/gm)].map((m) => m[1]);
    expect(froms.length).toBeGreaterThanOrEqual(2);
    for (const image of froms) expect(image).toMatch(/^node:20[\w.-]*@sha256:[a-f0-9]{64}$/);
    expect(dockerfile).toMatch(/RUN npm ci --omit=dev --ignore-scripts/);
    expect(dockerfile).not.toMatch(/npm (ci|install)(?![^\n]*--omit=dev)/);
    const lastUser = [...dockerfile.matchAll(/^USER (\S+)/gm)].at(-1)?.[1];
    expect(lastUser).toBe('node');
    expect(dockerfile.indexOf('USER node')).toBeGreaterThan(dockerfile.lastIndexOf('FROM '));
    expect(dockerfile).toContain('CMD ["node", "--import", "tsx", "api/main.ts"]');
    // tsx runs the sources in production, so it must survive --omit=dev.
    const pkg = JSON.parse(read('package.json')) as { dependencies: Record<string, string> };
    expect(pkg.dependencies.tsx).toBeDefined();
  });

  it('ships every file the API, the migrator and the rotation script load, and no test file', () => {
    // runner/main.ts: what the local machine driver spawns.
    const runtime = reachableFiles(['api/main.ts', 'scripts/migrate.ts', 'scripts/vault-rotate.ts', 'runner/main.ts']);
    expect(runtime).toContain('api/compose.ts');
    expect(runtime).toContain('api/metrics/routes.ts');
    expect(runtime.filter((file) => !shipsInImage(file))).toEqual([]);
    // The prune step of the image is the one shipsInImage models.
    expect(dockerfile).toContain("RUN find api scripts runner -name '*.test.ts' -delete \\\n && rm -rf api/vault/fixtures api/packages/fakes runner/fixtures runner/test-support.ts runner/Dockerfile");
    for (const dir of ['api', 'scripts', 'prisma/migrations', 'runner']) expect(dockerfile).toContain(`COPY ${dir} ./${dir}`);
    expect(shipsInImage('api/metrics/registry.test.ts')).toBe(false);
    expect(shipsInImage('test/hangar.ts')).toBe(false);
  });

  it('runner/Dockerfile passes dockerfilelint too', () => {
    expect(dockerfileProblems(join(ROOT, 'runner/Dockerfile'))).toEqual([]);
  });
});

describe('fly.toml', () => {
  const text = read('fly.toml');

  it('parses as TOML and deploys Hangar as the operator guide says', () => {
    expect(flyTomlProblems(text)).toEqual([]);
    const toml = parseToml(text) as { http_service: { checks: Array<{ path: string }>; min_machines_running: number }; deploy: { release_command: string } };
    expect(toml.http_service.checks.map((c) => c.path).sort()).toEqual(['/healthz', '/readyz']);
    expect(toml.deploy.release_command).toBe('node --import tsx scripts/migrate.ts');
  });

  it('detects what would break a deploy', () => {
    const broken = text
      .replace('min_machines_running = 2', 'min_machines_running = 1')
      .replace('path = "/readyz"', 'path = "/ready"')
      .replace('LOG_LEVEL = "info"', 'LOG_LEVEL = "info"\n  HANGAR_NO_SUCH_SETTING = "1"');
    expect(flyTomlProblems(broken)).toEqual([
      '[env] HANGAR_NO_SUCH_SETTING is not a variable Hangar reads',
      'http_service.min_machines_running must be at least 2',
      'http_service.checks needs a GET /readyz check with interval and timeout',
    ]);
  });

  it('its [env] plus the guide’s secrets load as a valid production config', () => {
    const env = (parseToml(text) as { env: Record<string, string> }).env;
    const config = loadConfig({
      ...env,
      DATABASE_URL: 'postgres://hangar:pw@hangar-db.flycast:5432/hangar?sslmode=verify-full',
      FERNET_KEYS: generateFernetKey(),
      FLY_API_TOKEN: 'fm2_example',
      FLY_ORG: 'acme',
      HANGAR_RUNNER_IMAGE: `registry.fly.io/hangar-runner@sha256:${'ab'.repeat(32)}`,
      METRICS_TOKEN: 'a-metrics-token-of-32-characters',
    });
    expect(config.env).toBe('production');
    expect(config.port).toBe(8080);
    expect(config.fly.driver).toBe('fly');
    expect(config.auth.trustedProxyHeader).toBe('fly-client-ip');
    expect(config.database.kind).toBe('external');
  });
});

describe('docs/operating.md', () => {
  const guide = read('docs/operating.md');

  it('sets only secrets Hangar reads, and every one the production setup needs', () => {
    const names = secretsSetNames(guide);
    expect(names.filter((name) => !KNOWN_ENV.has(name))).toEqual([]);
    for (const needed of ['DATABASE_URL', 'DATABASE_CA_CERT', 'FERNET_KEYS', 'FLY_API_TOKEN', 'FLY_ORG', 'HANGAR_RUNNER_IMAGE', 'METRICS_TOKEN', 'SMTP_HOST', 'SMTP_PASSWORD']) {
      expect(names).toContain(needed);
    }
  });

  it('the secret-name reader finds names across continuation lines and ignores the rest', () => {
    const md = 'fly secrets set A_B=1 \\\n  C=2\nfly secrets list\nfly secrets set D="x y"';
    expect(secretsSetNames(md)).toEqual(['A_B', 'C', 'D']);
  });

  it('names only npm scripts that exist', () => {
    const scripts = Object.keys((JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts);
    const used = [...guide.matchAll(/npm run ([\w:-]+)/g)].map((m) => m[1] as string);
    expect(used.length).toBeGreaterThan(0);
    expect(used.filter((name) => !scripts.includes(name))).toEqual([]);
  });

  it('names only metrics Hangar exports', async () => {
    const { HangarMetrics } = await import('../api/metrics/hangar-metrics.ts');
    const exported = new HangarMetrics({ version: 'x' }).registry.render();
    const mentioned = [...new Set([...guide.matchAll(/`(hangar_[a-z_]+|process_[a-z_]+)/g)].map((m) => m[1] as string))];
    expect(mentioned.length).toBeGreaterThan(8);
    expect(mentioned.filter((name) => !exported.includes(`# TYPE ${name.replace(/_(bucket|sum|count)$/, '')} `))).toEqual([]);
  });
});
