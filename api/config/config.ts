import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { z } from 'zod';

/** Raised when the environment does not describe a runnable Hangar; `problems` names every bad setting. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

const intIn = (min: number, max: number) =>
  z
    .string()
    .regex(/^\d+$/, 'must be a whole number')
    .transform(Number)
    .pipe(z.number().int().min(min).max(max));

const list = z.string().transform((v) =>
  v
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0),
);

const httpUrl = z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' });

/**
 * Every environment variable Hangar reads, in one schema. `.env.example` documents each of them; the
 * config test checks that the two list the same names.
 */
export const EnvSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  PORT: intIn(0, 65535).default(8080),
  HOST: z.string().min(1).optional(),
  LOG_LEVEL: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info'),
  HANGAR_PUBLIC_URL: httpUrl.optional(),
  HANGAR_DATA_DIR: z.string().min(1).default('./.hangar'),
  HANGAR_CORS_ORIGINS: list.default([]),
  HANGAR_BODY_LIMIT_BYTES: intIn(1024, 64 * 1024 * 1024).default(1024 * 1024),
  HANGAR_SHUTDOWN_TIMEOUT_MS: intIn(0, 120_000).default(10_000),
  HANGAR_INSTANCE_ID: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/).optional(),
  FLY_MACHINE_ID: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/).optional(),

  DATABASE_URL: z.string().min(1).optional(),
  DATABASE_CA_CERT: z.string().min(1).optional(),
  DATABASE_POOL_MAX: intIn(1, 200).default(10),
  HANGAR_ALLOW_INSECURE_DB: bool.default(false),

  FERNET_KEYS: list.optional(),

  METRICS_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),

  FLY_API_TOKEN: z.string().min(1).optional(),
  FLY_ORG: z.string().regex(/^[a-z0-9-]+$/, 'must be a Fly organization slug').optional(),
  FLY_API_BASE_URL: httpUrl.default('https://api.machines.dev'),
  FLY_DEFAULT_REGION: z.string().regex(/^[a-z]{3}$/, 'must be a three-letter Fly region').default('iad'),
  FLY_APP_PREFIX: z.string().regex(/^[a-z][a-z0-9-]{0,20}$/).default('hangar'),
  FLY_CONTROL_NETWORK: z.string().regex(/^[a-z0-9-]{0,63}$/, 'must be a Fly network name (empty: the default network)').default(''),
  HANGAR_RUNNER_IMAGE: z
    .string()
    .regex(/@sha256:[a-f0-9]{64}$/, 'must be pinned by digest (image@sha256:...)')
    .optional(),

  NPM_REGISTRY_URL: httpUrl.default('https://registry.npmjs.org/'),
  PYPI_BASE_URL: httpUrl.default('https://pypi.org'),
  HANGAR_RUNNER_PYTHON: z.string().regex(/^3\.\d{1,2}$/, 'must be a Python version like 3.12').default('3.12'),
  HANGAR_PACKAGE_CACHE_TTL_SECONDS: intIn(10, 86_400).default(300),

  SMTP_HOST: z.string().min(1).optional(),
  SMTP_PORT: intIn(1, 65535).default(587),
  SMTP_USER: z.string().min(1).optional(),
  SMTP_PASSWORD: z.string().min(1).optional(),
  SMTP_FROM: z.string().min(3).default('Hangar <hangar@localhost>'),

  HANGAR_SESSION_TTL_DAYS: intIn(1, 30).default(30),
  HANGAR_TRUSTED_PROXY_HEADER: z.enum(['fly-client-ip', 'x-forwarded-for', 'x-real-ip']).optional(),
  HANGAR_RATE_LIMIT_STORE: z.enum(['postgres', 'memory']).default('postgres'),
  HANGAR_RATE_LIMIT_PER_MINUTE: intIn(1, 1_000_000).default(600),
  // Unset: twice HANGAR_RATE_LIMIT_PER_MINUTE, so raising the per-key limit raises this one with it.
  HANGAR_USER_RATE_LIMIT_PER_MINUTE: intIn(1, 2_000_000).optional(),
  HANGAR_LOGIN_LIMIT_PER_IP: intIn(1, 100_000).default(30),
  HANGAR_LOGIN_LIMIT_PER_ACCOUNT: intIn(1, 1000).default(5),
  HANGAR_LOGIN_WINDOW_SECONDS: intIn(10, 86_400).default(900),

  HANGAR_DEPLOYMENT_QUOTA: intIn(0, 10_000).default(10),
  HANGAR_USER_DEPLOYMENT_QUOTA: intIn(0, 100_000).default(20),
  HANGAR_USER_TEAM_QUOTA: intIn(0, 10_000).default(10),
  HANGAR_USER_API_KEY_QUOTA: intIn(1, 10_000).default(50),
  HANGAR_MCP_STREAMS_PER_KEY: intIn(1, 100_000).default(32),
  HANGAR_MCP_STREAMS_PER_DEPLOYMENT: intIn(1, 100_000).default(128),
  HANGAR_CALL_LOG_RETENTION_DAYS: intIn(1, 3650).default(14),
  HANGAR_RECONCILER: z.enum(['on', 'off']).default('on'),
  HANGAR_RECONCILE_INTERVAL_MS: intIn(100, 600_000).default(5_000),
  HANGAR_HEALTH_FAILURE_THRESHOLD: intIn(1, 100).default(3),
  HANGAR_HEALTH_GRACE_MS: intIn(0, 3_600_000).default(60_000),
  HANGAR_CRASH_LOOP_MAX_RESTARTS: intIn(1, 1000).default(5),
  HANGAR_CRASH_LOOP_WINDOW_MS: intIn(1_000, 86_400_000).default(600_000),
});

export type Env = z.infer<typeof EnvSchema>;

export type DatabaseConfig =
  | { kind: 'embedded'; dataDir: string }
  | {
      kind: 'external';
      url: string;
      /** PEM text of the CA that signs the server's certificate; undefined means the system store. */
      ca: string | undefined;
      /** Plaintext or unverified: only for loopback hosts or with HANGAR_ALLOW_INSECURE_DB. */
      insecure: boolean;
      insecureReason: string | undefined;
    };

/** The parsed, cross-checked settings every part of Hangar reads. */
export interface Config {
  env: Env['NODE_ENV'];
  port: number;
  host: string;
  publicUrl: string;
  logLevel: Env['LOG_LEVEL'];
  dataDir: string;
  corsOrigins: string[];
  bodyLimitBytes: number;
  shutdownTimeoutMs: number;
  instanceId: string | undefined;
  database: DatabaseConfig;
  databasePoolMax: number;
  fernetKeys: string[] | undefined;
  metricsToken: string | undefined;
  /** `local` runs deployments as local runner processes; `fly` launches Fly Machines with `token`. */
  fly: {
    driver: 'local' | 'fly';
    token: string | undefined;
    org: string | undefined;
    baseUrl: string;
    runnerImage: string | undefined;
    region: string;
    appPrefix: string;
    /** The 6PN network Hangar's own app is on; tenant apps get their Flycast address there. */
    controlNetwork: string;
  };
  npmRegistryUrl: string;
  pypiBaseUrl: string;
  /** The Python the runner image ships; PyPI releases must allow it (requires_python). */
  runnerPythonVersion: string;
  /** How long registry answers stay in the shared package cache. */
  packageCacheTtlSeconds: number;
  /** Undefined: mail goes to the outbox table (read by admins), as in local mode. */
  smtp: { host: string; port: number; user: string | undefined; password: string | undefined; from: string } | undefined;
  auth: {
    sessionTtlDays: number;
    /** `Secure` cookies everywhere except a plain-http loopback public URL. */
    cookieSecure: boolean;
    /** Origins whose cookie-authenticated, state-changing requests pass the CSRF check. */
    trustedOrigins: string[];
    /** Header a trusted proxy sets to the client's IP (Fly: fly-client-ip); undefined: the socket address. */
    trustedProxyHeader: 'fly-client-ip' | 'x-forwarded-for' | 'x-real-ip' | undefined;
  };
  /** Live (not deleted) deployments a team may have. */
  deploymentQuota: number;
  /** What one user may hold across all teams: deployments created, teams owned, working API keys. */
  userQuotas: { deployments: number; teams: number; apiKeys: number };
  /** MCP requests in flight through one instance (open SSE streams included), per credential and per deployment. */
  mcpStreams: { perCredential: number; perDeployment: number };
  /** Days the MCP call log keeps its rows (pruned hourly). */
  callLogRetentionDays: number;
  reconciler: {
    enabled: boolean;
    intervalMs: number;
    healthFailureThreshold: number;
    startGraceMs: number;
    crashLoopMaxRestarts: number;
    crashLoopWindowMs: number;
  };
  rateLimits: {
    store: 'postgres' | 'memory';
    /** Authenticated requests per API key or session per minute. */
    requestsPerMinute: number;
    /** Authenticated requests per user per minute, all their keys and sessions together. */
    requestsPerMinutePerUser: number;
    /** Login and password-reset attempts per client IP per window. */
    loginPerIp: number;
    /** Failed logins (and reset requests) per account per window before a growing lockout. */
    loginPerAccount: number;
    loginWindowSeconds: number;
  };
}

const LOOPBACK = new Set(['localhost', '127.0.0.1', '::1', '[::1]']);

/** True when `host` names this machine, where a plaintext database connection never crosses a network. */
export function isLoopbackHost(host: string): boolean {
  return LOOPBACK.has(host.toLowerCase()) || /^127\.\d+\.\d+\.\d+$/.test(host);
}

function readCa(value: string, problems: string[]): string | undefined {
  if (value.includes('-----BEGIN CERTIFICATE-----')) return value;
  const path = resolve(value);
  if (!existsSync(path)) {
    problems.push(`DATABASE_CA_CERT: not PEM text and no file at ${path}`);
    return undefined;
  }
  const text = readFileSync(path, 'utf8');
  if (!text.includes('-----BEGIN CERTIFICATE-----')) {
    problems.push(`DATABASE_CA_CERT: ${path} holds no PEM certificate`);
    return undefined;
  }
  return text;
}

function databaseConfig(env: Env, problems: string[]): DatabaseConfig {
  if (!env.DATABASE_URL) return { kind: 'embedded', dataDir: resolve(env.HANGAR_DATA_DIR) };
  let url: URL;
  try {
    url = new URL(env.DATABASE_URL);
  } catch {
    problems.push('DATABASE_URL: not a valid URL (expected postgres://user:password@host:5432/db?sslmode=verify-full)');
    return { kind: 'external', url: '', ca: undefined, insecure: false, insecureReason: undefined };
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') {
    problems.push('DATABASE_URL: scheme must be postgres:// or postgresql://');
  }
  const sslmode = url.searchParams.get('sslmode') ?? 'verify-full';
  const ca = env.DATABASE_CA_CERT ? readCa(env.DATABASE_CA_CERT, problems) : undefined;
  const weak = sslmode !== 'verify-full';
  const loopback = isLoopbackHost(url.hostname);
  let insecureReason: string | undefined;
  if (weak) {
    insecureReason = `sslmode=${sslmode} does not verify the server (Hangar requires verify-full)`;
    if (!loopback && !env.HANGAR_ALLOW_INSECURE_DB) {
      problems.push(
        `DATABASE_URL: ${insecureReason} for non-loopback host ${url.hostname}; use sslmode=verify-full ` +
          'with DATABASE_CA_CERT, or set HANGAR_ALLOW_INSECURE_DB=true to accept the risk',
      );
    }
  }
  if (!['disable', 'allow', 'prefer', 'require', 'verify-ca', 'verify-full', 'no-verify'].includes(sslmode)) {
    problems.push(`DATABASE_URL: unknown sslmode=${sslmode}`);
  }
  return { kind: 'external', url: env.DATABASE_URL, ca, insecure: weak, insecureReason };
}

/**
 * Parses and cross-checks the environment. Throws one ConfigError listing every problem, so an operator
 * fixes them all in one go.
 */
export function loadConfig(raw: NodeJS.ProcessEnv | Record<string, string | undefined>): Config {
  const cleaned = Object.fromEntries(
    Object.entries(raw).filter(([key, value]) => key in EnvSchema.shape && value !== undefined && value !== ''),
  );
  const parsed = EnvSchema.safeParse(cleaned);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => {
        const name = issue.path.join('.');
        const given = name in cleaned && !/PASSWORD|TOKEN|KEYS|SECRET|DATABASE_URL/.test(name) ? ` (got "${String(cleaned[name])}")` : '';
        return `${name}: ${issue.message}${given}`;
      }),
    );
  }
  const env = parsed.data;
  const problems: string[] = [];
  const database = databaseConfig(env, problems);
  const host = env.HOST ?? (database.kind === 'embedded' ? '127.0.0.1' : '0.0.0.0');

  if (env.FLY_API_TOKEN) {
    if (!env.FLY_ORG) problems.push('FLY_ORG: required when FLY_API_TOKEN is set (the organization that owns tenant apps)');
    if (!env.HANGAR_RUNNER_IMAGE) problems.push('HANGAR_RUNNER_IMAGE: required when FLY_API_TOKEN is set (runner image pinned by digest)');
  }
  if (env.FERNET_KEYS && env.FERNET_KEYS.length === 0) problems.push('FERNET_KEYS: set but lists no key');
  if (env.SMTP_USER && !env.SMTP_HOST) problems.push('SMTP_HOST: required when SMTP_USER is set');
  if (env.NODE_ENV === 'production' && !env.HANGAR_PUBLIC_URL) {
    problems.push('HANGAR_PUBLIC_URL: required in production (links in mail and MCP endpoint URLs)');
  }
  for (const origin of env.HANGAR_CORS_ORIGINS) {
    if (!/^https?:\/\/[^/\s]+$/.test(origin)) problems.push(`HANGAR_CORS_ORIGINS: "${origin}" is not an origin (scheme://host[:port])`);
  }
  if (problems.length > 0) throw new ConfigError(problems);

  const displayHost = host === '0.0.0.0' || host === '::' ? 'localhost' : host;
  const publicUrl = (env.HANGAR_PUBLIC_URL ?? `http://${displayHost}:${env.PORT}`).replace(/\/+$/, '');
  const publicOrigin = new URL(publicUrl);
  return {
    env: env.NODE_ENV,
    port: env.PORT,
    host,
    publicUrl,
    logLevel: env.LOG_LEVEL,
    dataDir: resolve(env.HANGAR_DATA_DIR),
    corsOrigins: env.HANGAR_CORS_ORIGINS,
    bodyLimitBytes: env.HANGAR_BODY_LIMIT_BYTES,
    shutdownTimeoutMs: env.HANGAR_SHUTDOWN_TIMEOUT_MS,
    // On Fly, the machine id is stable across restarts of the process: a restarted instance finds its leases.
    instanceId: env.HANGAR_INSTANCE_ID ?? env.FLY_MACHINE_ID,
    database,
    databasePoolMax: env.DATABASE_POOL_MAX,
    fernetKeys: env.FERNET_KEYS,
    metricsToken: env.METRICS_TOKEN,
    fly: {
      driver: env.FLY_API_TOKEN ? 'fly' : 'local',
      token: env.FLY_API_TOKEN,
      org: env.FLY_ORG,
      baseUrl: env.FLY_API_BASE_URL,
      runnerImage: env.HANGAR_RUNNER_IMAGE,
      region: env.FLY_DEFAULT_REGION,
      appPrefix: env.FLY_APP_PREFIX,
      controlNetwork: env.FLY_CONTROL_NETWORK,
    },
    npmRegistryUrl: env.NPM_REGISTRY_URL,
    pypiBaseUrl: env.PYPI_BASE_URL,
    runnerPythonVersion: env.HANGAR_RUNNER_PYTHON,
    packageCacheTtlSeconds: env.HANGAR_PACKAGE_CACHE_TTL_SECONDS,
    smtp: env.SMTP_HOST
      ? { host: env.SMTP_HOST, port: env.SMTP_PORT, user: env.SMTP_USER, password: env.SMTP_PASSWORD, from: env.SMTP_FROM }
      : undefined,
    auth: {
      sessionTtlDays: env.HANGAR_SESSION_TTL_DAYS,
      cookieSecure: publicOrigin.protocol === 'https:' || !isLoopbackHost(publicOrigin.hostname),
      trustedOrigins: [...new Set([publicOrigin.origin, ...env.HANGAR_CORS_ORIGINS])],
      trustedProxyHeader: env.HANGAR_TRUSTED_PROXY_HEADER,
    },
    deploymentQuota: env.HANGAR_DEPLOYMENT_QUOTA,
    userQuotas: { deployments: env.HANGAR_USER_DEPLOYMENT_QUOTA, teams: env.HANGAR_USER_TEAM_QUOTA, apiKeys: env.HANGAR_USER_API_KEY_QUOTA },
    mcpStreams: { perCredential: env.HANGAR_MCP_STREAMS_PER_KEY, perDeployment: env.HANGAR_MCP_STREAMS_PER_DEPLOYMENT },
    callLogRetentionDays: env.HANGAR_CALL_LOG_RETENTION_DAYS,
    reconciler: {
      enabled: env.HANGAR_RECONCILER === 'on',
      intervalMs: env.HANGAR_RECONCILE_INTERVAL_MS,
      healthFailureThreshold: env.HANGAR_HEALTH_FAILURE_THRESHOLD,
      startGraceMs: env.HANGAR_HEALTH_GRACE_MS,
      crashLoopMaxRestarts: env.HANGAR_CRASH_LOOP_MAX_RESTARTS,
      crashLoopWindowMs: env.HANGAR_CRASH_LOOP_WINDOW_MS,
    },
    rateLimits: {
      store: env.HANGAR_RATE_LIMIT_STORE,
      requestsPerMinute: env.HANGAR_RATE_LIMIT_PER_MINUTE,
      requestsPerMinutePerUser: env.HANGAR_USER_RATE_LIMIT_PER_MINUTE ?? 2 * env.HANGAR_RATE_LIMIT_PER_MINUTE,
      loginPerIp: env.HANGAR_LOGIN_LIMIT_PER_IP,
      loginPerAccount: env.HANGAR_LOGIN_LIMIT_PER_ACCOUNT,
      loginWindowSeconds: env.HANGAR_LOGIN_WINDOW_SECONDS,
    },
  };
}
