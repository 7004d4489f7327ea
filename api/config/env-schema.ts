import { z } from 'zod';

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
