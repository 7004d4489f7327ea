import { chmodSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { z } from 'zod';
import { CliError } from './errors.ts';

/** The Hangar a fresh install talks to: a local `npm start`. */
export const DEFAULT_URL = 'http://127.0.0.1:8080';

/** What `hangar login` stores: the server, an API key (never a password) and who it belongs to. */
export const StoredConfigSchema = z.object({
  url: z.string().url().optional(),
  apiKey: z.string().min(1).optional(),
  keyId: z.string().optional(),
  email: z.string().optional(),
  team: z.string().optional(),
});

export type StoredConfig = z.infer<typeof StoredConfigSchema>;

/** Where the settings in effect came from, after HANGAR_URL / HANGAR_API_KEY / HANGAR_TEAM overrides. */
export interface EffectiveConfig {
  url: string;
  apiKey: string | undefined;
  /** True when HANGAR_API_KEY supplied the key (logout then has nothing stored to forget). */
  keyFromEnv: boolean;
  team: string | undefined;
  stored: StoredConfig;
}

/** `$XDG_CONFIG_HOME/hangar/config.json`, or `~/.config/hangar/config.json`. */
export function configPath(env: Record<string, string | undefined>): string {
  const base = env.XDG_CONFIG_HOME && env.XDG_CONFIG_HOME.startsWith('/') ? env.XDG_CONFIG_HOME : join(env.HOME || homedir(), '.config');
  return join(base, 'hangar', 'config.json');
}

/** Reads the stored config; a missing file is an empty config, a damaged one a clear error. */
export function readStoredConfig(path: string): StoredConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as { code?: string }).code === 'ENOENT') return {};
    throw new CliError(`Cannot read ${path}`, 1);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new CliError(`${path} is not valid JSON; remove it and run \`hangar login\` again`, 1);
  }
  const parsed = StoredConfigSchema.safeParse(raw);
  if (!parsed.success) throw new CliError(`${path} is not a Hangar config; remove it and run \`hangar login\` again`, 1);
  return parsed.data;
}

/** Writes the config atomically with mode 0600 (its directory 0700), since it holds an API key. */
export function writeStoredConfig(path: string, config: StoredConfig): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const temp = `${path}.${process.pid}.tmp`;
  writeFileSync(temp, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
  chmodSync(temp, 0o600);
  renameSync(temp, path);
}

/** Removes the stored config (logout). */
export function removeStoredConfig(path: string): void {
  rmSync(path, { force: true });
}

/** The settings in effect: environment over the stored file over defaults. */
export function effectiveConfig(env: Record<string, string | undefined>, stored: StoredConfig): EffectiveConfig {
  const url = (env.HANGAR_URL || stored.url || DEFAULT_URL).replace(/\/+$/, '');
  if (!/^https?:\/\/[^/\s]+/.test(url)) throw new CliError(`HANGAR_URL must be an http(s) URL, got "${url}"`, 2);
  const envKey = env.HANGAR_API_KEY || undefined;
  return { url, apiKey: envKey ?? stored.apiKey, keyFromEnv: envKey !== undefined, team: env.HANGAR_TEAM || stored.team, stored };
}
