import { hostname } from 'node:os';
import { createApiClient, type ApiClient } from '../client.ts';
import { stringOption, type Command, type CommandContext } from '../command.ts';
import { removeStoredConfig, writeStoredConfig } from '../config.ts';
import { ApiError, CliError, EXIT, UsageError } from '../errors.ts';

/** A user as the API shows one (`GET /v1/me`, `/v1/admin/users`). */
export interface User {
  id: string;
  email: string;
  name: string | null;
  globalRole: string;
  emailVerified: boolean;
  disabled: boolean;
  createdAt: string;
}

interface CreatedKey {
  id: string;
  key: string;
  prefix: string;
}

const CLI_SCOPES = ['read', 'write', 'mcp', 'admin'];

function sessionCookie(headers: Headers): string {
  for (const header of headers.getSetCookie()) {
    const match = header.match(/^(hangar_session=[^;]+)/);
    if (match?.[1]) return match[1];
  }
  throw new CliError('The server started no session (is HANGAR_URL a Hangar?)', EXIT.error);
}

function serverUrl(ctx: CommandContext, flag: string | undefined): string {
  const url = (flag ?? ctx.config.url).replace(/\/+$/, '');
  if (!/^https?:\/\/[^/\s]+/.test(url)) throw new UsageError(`--url must be an http(s) URL, got "${url}"`);
  return url;
}

/**
 * Turns a fresh session into a stored API key: creates the key with the session cookie (the server's own
 * Origin passes the CSRF rule), ends the session, and writes the key (never the password) to the config.
 */
async function storeKeyFromSession(ctx: CommandContext, url: string, cookie: string, user: User): Promise<void> {
  const session = createApiClient({ baseUrl: url, cookie });
  let created: CreatedKey;
  try {
    created = await session.send<CreatedKey>('POST', '/v1/me/keys', { name: `hangar-cli@${hostname()}`.slice(0, 100), scopes: CLI_SCOPES });
  } catch (error) {
    if (error instanceof ApiError && error.code === 'csrf_rejected') {
      throw new CliError(`${error.message}: ${url} is not the server's public URL`, EXIT.auth, 'Log in with --url set to the server\'s HANGAR_PUBLIC_URL.');
    }
    throw error;
  }
  await session.send('POST', '/v1/auth/logout').catch(() => undefined);
  writeStoredConfig(ctx.configPath, { ...ctx.config.stored, url, apiKey: created.key, keyId: created.id, email: user.email });
  ctx.out.line(`${ctx.out.green('✓')} Logged in to ${url} as ${ctx.out.bold(user.email)} (API key ${created.prefix}… stored in ${ctx.configPath})`);
}

async function credentials(ctx: CommandContext, email: string | undefined, confirmPassword: boolean): Promise<{ email: string; password: string }> {
  const address = (email ?? (await ctx.prompt.ask('Email: '))).trim();
  if (!address) throw new UsageError('An email address is required');
  const password = await ctx.prompt.ask('Password: ', { hidden: true });
  if (!password) throw new UsageError('A password is required');
  if (confirmPassword && ctx.prompt.interactive && (await ctx.prompt.ask('Password (again): ', { hidden: true })) !== password) {
    throw new UsageError('The passwords do not match');
  }
  return { email: address, password };
}

async function loginWithKey(ctx: CommandContext, url: string, key: string): Promise<void> {
  const client: ApiClient = createApiClient({ baseUrl: url, apiKey: key });
  const me = await client.get<User>('/v1/me');
  const keys = await client.get<{ data: Array<{ id: string; prefix: string }> }>('/v1/me/keys').catch(() => ({ data: [] }));
  const keyId = keys.data.find((k) => key.startsWith(k.prefix))?.id;
  writeStoredConfig(ctx.configPath, { ...ctx.config.stored, url, apiKey: key, keyId, email: me.email });
  ctx.out.line(`${ctx.out.green('✓')} Logged in to ${url} as ${ctx.out.bold(me.email)} (API key stored in ${ctx.configPath})`);
}

const URL_OPTION = { type: 'string', value: 'url', description: 'The Hangar server (default: HANGAR_URL, the stored one, or http://127.0.0.1:8080)' } as const;

export const authCommands: Command[] = [
  {
    path: ['signup'],
    summary: 'Create an account and log in',
    usage: 'hangar signup [--email <email>] [--name <name>] [--url <url>]',
    description: 'The password is asked for with hidden input (or read from stdin when piped). An API key is stored, never the password.',
    examples: ['hangar signup --email ada@example.com', 'printf "%s\\n" "$PASSWORD" | hangar signup --email ada@example.com'],
    options: { email: { type: 'string', value: 'email', description: 'Your email address' }, name: { type: 'string', value: 'name', description: 'Display name' }, url: URL_OPTION },
    async run(ctx, { values }) {
      const url = serverUrl(ctx, stringOption(values, 'url'));
      const { email, password } = await credentials(ctx, stringOption(values, 'email'), true);
      const res = await createApiClient({ baseUrl: url }).request<{ user: User }>('POST', '/v1/auth/signup', { body: { email, password, name: stringOption(values, 'name') } });
      await storeKeyFromSession(ctx, url, sessionCookie(res.headers), res.body.user);
      if (!res.body.user.emailVerified) ctx.out.line(ctx.out.dim('Check your inbox to verify your email address before deploying.'));
    },
  },
  {
    path: ['login'],
    summary: 'Log in with email and password (hidden prompt) or an API key',
    usage: 'hangar login [--email <email>] [--api-key <key|->] [--url <url>]',
    description: 'Stores an API key (never your password) in the config file, mode 0600. `--api-key -` reads the key from stdin so it stays out of the process list.',
    examples: ['hangar login', 'hangar login --url https://hangar.example.com --email ada@example.com', 'hangar login --api-key - < key.txt'],
    options: { email: { type: 'string', value: 'email', description: 'Your email address (asked for when omitted)' }, 'api-key': { type: 'string', value: 'key|-', description: 'Log in with an existing API key (`-`: read it from stdin)' }, url: URL_OPTION },
    async run(ctx, { values }) {
      const url = serverUrl(ctx, stringOption(values, 'url'));
      const apiKey = stringOption(values, 'api-key');
      if (apiKey !== undefined) {
        const key = apiKey === '-' ? (await ctx.prompt.readAll()).trim() : apiKey;
        if (!key) throw new UsageError('--api-key is empty');
        return void (await loginWithKey(ctx, url, key));
      }
      const { email, password } = await credentials(ctx, stringOption(values, 'email'), false);
      const res = await createApiClient({ baseUrl: url }).request<{ user: User }>('POST', '/v1/auth/login', { body: { email, password } });
      await storeKeyFromSession(ctx, url, sessionCookie(res.headers), res.body.user);
    },
  },
  {
    path: ['logout'],
    summary: 'Revoke the stored API key and forget it',
    usage: 'hangar logout',
    examples: ['hangar logout'],
    async run(ctx) {
      const { stored } = ctx.config;
      if (!stored.apiKey) {
        ctx.out.line(ctx.config.keyFromEnv ? 'Nothing stored; HANGAR_API_KEY is set in your environment (unset it to log out).' : 'Not logged in.');
        return;
      }
      let revoked = false;
      if (stored.keyId) {
        const client = createApiClient({ baseUrl: ctx.config.url, apiKey: stored.apiKey });
        try {
          await client.send('DELETE', `/v1/me/keys/${encodeURIComponent(stored.keyId)}`);
          revoked = true;
        } catch (error) {
          if (!(error instanceof ApiError && (error.status === 401 || error.status === 404))) throw error;
        }
      }
      const { apiKey: _key, keyId: _id, email: _email, ...rest } = stored;
      if (Object.keys(rest).length) writeStoredConfig(ctx.configPath, rest);
      else removeStoredConfig(ctx.configPath);
      ctx.out.line(`${ctx.out.green('✓')} Logged out${revoked ? ' (API key revoked)' : ''}`);
    },
  },
  {
    path: ['whoami'],
    summary: 'Show who you are logged in as, and where',
    usage: 'hangar whoami [--json]',
    read: true,
    examples: ['hangar whoami', 'hangar whoami --json | jq -r .email'],
    async run(ctx, { values }) {
      const me = await ctx.api().get<User>('/v1/me');
      if (values.json) return void ctx.out.json({ ...me, url: ctx.config.url });
      ctx.out.line(`${ctx.out.bold(me.email)} (${me.id})${me.globalRole === 'admin' ? ' global admin' : ''}`);
      ctx.out.line(`server: ${ctx.config.url}${ctx.config.keyFromEnv ? ' (key from HANGAR_API_KEY)' : ''}`);
      if (!me.emailVerified) ctx.out.line(ctx.out.yellow('email not verified yet'));
    },
  },
];
