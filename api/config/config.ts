import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { EnvSchema, type Env } from './env-schema.ts';

/** Raised when the environment does not describe a runnable Hangar; `problems` names every bad setting. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

export { EnvSchema, type Env } from './env-schema.ts';

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
