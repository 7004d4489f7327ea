import { z } from 'zod';
import { PolicyError } from '../http/errors.ts';
import { checkCommand, checkOptions } from './command-rules.ts';
import { blockedEnvName } from './env-rules.ts';
import { controlCharIssue, preview, type LaunchIssue, type PackagePin } from './issues.ts';
import { checkEmbeddedUrls, checkUrl, type HostResolver } from './url-rules.ts';

export type { LaunchIssue, PackagePin } from './issues.ts';
export type { HostResolver } from './url-rules.ts';

/** The limits of a launch spec (DeployStack's floor). */
export const LIMITS = {
  args: 100,
  argLength: 500,
  env: 100,
  envNameLength: 256,
  envValueBytes: 32 * 1024,
  headers: 50,
  headerNameLength: 256,
  headerValueBytes: 8 * 1024,
  query: 50,
  queryNameLength: 128,
  queryValueBytes: 2 * 1024,
} as const;

/** The shape of a launch spec; the rules come after, so every failure can name its field and rule. */
export const LaunchSpecSchema = z
  .object({
    command: z.string().max(64).optional(),
    args: z.array(z.string()).default([]),
    env: z.record(z.string(), z.string()).default({}),
    url: z.string().optional(),
    headers: z.record(z.string(), z.string()).default({}),
    queryParams: z.record(z.string(), z.string()).default({}),
  })
  .strict();

export type LaunchSpec = z.infer<typeof LaunchSpecSchema>;

const ARG_CHARS = /^[A-Za-z0-9@/_.\-=:#,]+$/;
const SHELL = /[;&|`<>]|\$\(|\$\{|\$[A-Za-z_]/;
const TRAVERSAL = /(^|[/\\=:])\.\.([/\\]|$)/;
const BLOCKED_HEADERS = new Set(['host', 'content-length', 'transfer-encoding', 'connection', 'keep-alive', 'te', 'trailer', 'trailers', 'upgrade', 'expect', 'forwarded', 'x-real-ip', 'mcp-session-id', 'mcp-protocol-version']);
const BLOCKED_HEADER_PREFIXES = ['proxy-', 'x-forwarded-', 'x-hangar-'];
const bytes = (s: string): number => Buffer.byteLength(s, 'utf8');

function checkArg(i: number, arg: string): LaunchIssue | undefined {
  const path = `args[${i}]`;
  if (arg.length > LIMITS.argLength) return { path, rule: 'arg_length', message: `longer than ${LIMITS.argLength} characters` };
  const control = controlCharIssue(path, arg);
  if (control) return control;
  if (arg === '--') return { path, rule: 'arg_double_dash', message: '"--" alone is refused (it ends option parsing)' };
  if (SHELL.test(arg)) return { path, rule: 'arg_shell_metachar', message: `shell metacharacters in "${preview(arg)}"` };
  if (TRAVERSAL.test(arg)) return { path, rule: 'arg_traversal', message: `path traversal in "${preview(arg)}"` };
  if (!ARG_CHARS.test(arg)) return { path, rule: 'arg_charset', message: `only A-Z a-z 0-9 and @ / _ . - = : # , are allowed ("${preview(arg)}")` };
  return undefined;
}

function checkEnv(name: string, value: string): LaunchIssue[] {
  const path = `env.${preview(name)}`;
  if (name.length > LIMITS.envNameLength) return [{ path, rule: 'env_name_length', message: `name longer than ${LIMITS.envNameLength} characters` }];
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) return [{ path, rule: 'env_name_format', message: 'name must match ^[A-Za-z_][A-Za-z0-9_]*$' }];
  const blocked = blockedEnvName(name);
  if (blocked) return [{ path, ...blocked }];
  if (bytes(value) > LIMITS.envValueBytes) return [{ path, rule: 'env_value_length', message: `value larger than ${LIMITS.envValueBytes} bytes` }];
  const control = controlCharIssue(path, value);
  return control ? [control] : [];
}

interface PairRules {
  field: 'headers' | 'queryParams';
  prefix: 'header' | 'query';
  name: RegExp;
  nameLength: number;
  valueBytes: number;
  blocked?: (lowerName: string) => boolean;
}

const HEADER_RULES: PairRules = {
  field: 'headers',
  prefix: 'header',
  name: /^[A-Za-z0-9-]+$/,
  nameLength: LIMITS.headerNameLength,
  valueBytes: LIMITS.headerValueBytes,
  blocked: (lower) => BLOCKED_HEADERS.has(lower) || BLOCKED_HEADER_PREFIXES.some((p) => lower.startsWith(p)),
};
const QUERY_RULES: PairRules = { field: 'queryParams', prefix: 'query', name: /^[A-Za-z0-9_-]+$/, nameLength: LIMITS.queryNameLength, valueBytes: LIMITS.queryValueBytes };

/** Checks one header or query parameter: name pattern and length, blocked names, value size, control characters. */
function checkPair(rules: PairRules, name: string, value: string): LaunchIssue[] {
  const path = `${rules.field}.${preview(name)}`;
  if (name.length > rules.nameLength || !rules.name.test(name)) {
    return [{ path, rule: `${rules.prefix}_name_format`, message: `name must match ${rules.name.source} (at most ${rules.nameLength})` }];
  }
  if (rules.blocked?.(name.toLowerCase())) {
    return [{ path, rule: `${rules.prefix}_blocked`, message: `${name} is hop-by-hop, spoofs the client, or is managed by Hangar` }];
  }
  if (bytes(value) > rules.valueBytes) return [{ path, rule: `${rules.prefix}_value_length`, message: `value larger than ${rules.valueBytes} bytes` }];
  const control = controlCharIssue(path, value);
  return control ? [control] : [];
}

function countIssue(path: string, count: number, max: number): LaunchIssue[] {
  return count > max ? [{ path, rule: `${path === 'queryParams' ? 'query' : path}_count`, message: `at most ${max} allowed, got ${count}` }] : [];
}

/** Options of a validation: how host names resolve, and the admitted package the spec must run. */
export interface LaunchSpecOptions {
  resolveHost: HostResolver;
  pinned?: PackagePin;
}

/**
 * Validates a launch spec against every rule (see the module files for each). Returns the spec, or every
 * issue found, each naming its field path and rule. Pure apart from DNS; stores nothing.
 */
export async function validateLaunchSpec(input: unknown, options: LaunchSpecOptions): Promise<{ ok: true; spec: LaunchSpec } | { ok: false; issues: LaunchIssue[] }> {
  const parsed = LaunchSpecSchema.safeParse(input);
  if (!parsed.success) {
    return {
      ok: false,
      issues: parsed.error.issues.map((i) => ({
        path: i.path.map(String).join('.') || '(root)',
        rule: i.code === 'unrecognized_keys' ? 'unknown_field' : 'type',
        message: i.message,
      })),
    };
  }
  const spec = parsed.data;
  const issues: LaunchIssue[] = [];
  const pending: Array<Promise<LaunchIssue[]>> = [];
  if ((spec.command === undefined) === (spec.url === undefined)) {
    issues.push({ path: '(root)', rule: 'command_or_url', message: 'give exactly one of command (stdio server) or url (remote server)' });
  }
  if (spec.command !== undefined) {
    const { command, issues: commandIssues } = checkCommand(spec.command, options.pinned);
    issues.push(...commandIssues);
    if (command && spec.args.length <= LIMITS.args) issues.push(...checkOptions(command, spec.args, options.pinned));
  }
  issues.push(...countIssue('args', spec.args.length, LIMITS.args));
  spec.args.slice(0, LIMITS.args).forEach((arg, i) => {
    const issue = checkArg(i, arg);
    if (issue) issues.push(issue);
    else pending.push(checkEmbeddedUrls(`args[${i}]`, arg, options.resolveHost));
  });
  const env = Object.entries(spec.env);
  issues.push(...countIssue('env', env.length, LIMITS.env));
  for (const [name, value] of env.slice(0, LIMITS.env)) {
    const found = checkEnv(name, value);
    issues.push(...found);
    if (found.length === 0) pending.push(checkEmbeddedUrls(`env.${name}`, value, options.resolveHost));
  }
  const headers = Object.entries(spec.headers);
  issues.push(...countIssue('headers', headers.length, LIMITS.headers));
  for (const [name, value] of headers.slice(0, LIMITS.headers)) issues.push(...checkPair(HEADER_RULES, name, value));
  const query = Object.entries(spec.queryParams);
  issues.push(...countIssue('queryParams', query.length, LIMITS.query));
  for (const [name, value] of query.slice(0, LIMITS.query)) issues.push(...checkPair(QUERY_RULES, name, value));
  if (spec.url !== undefined) {
    const control = controlCharIssue('url', spec.url);
    if (control) issues.push(control);
    else pending.push(checkUrl('url', spec.url, options.resolveHost));
  }
  for (const found of await Promise.all(pending)) issues.push(...found);
  return issues.length === 0 ? { ok: true, spec } : { ok: false, issues };
}

/** 422 with every issue (path, rule, message) in `error.issues`. */
export class LaunchSpecError extends PolicyError {
  constructor(readonly issues: LaunchIssue[]) {
    super(`Launch spec rejected: ${issues.slice(0, 5).map((i) => `${i.path}: ${i.rule}`).join('; ')}${issues.length > 5 ? ` and ${issues.length - 5} more` : ''}`, 'launch_spec_rejected', { issues });
  }
}

/** Validates and returns the spec, or throws LaunchSpecError (422). Both the API and the launcher call this. */
export async function assertLaunchSpec(input: unknown, options: LaunchSpecOptions): Promise<LaunchSpec> {
  const result = await validateLaunchSpec(input, options);
  if (!result.ok) throw new LaunchSpecError(result.issues);
  return result.spec;
}
