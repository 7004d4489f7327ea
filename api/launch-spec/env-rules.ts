/**
 * Environment variable names a tenant may not set. DeployStack's 32 names, plus the gaps it leaves:
 * package-manager and loader configuration, proxies, TLS trust overrides and other code-loading hooks.
 * Names are compared case-insensitively (many tools read `http_proxy` or `npm_config_*` in lowercase).
 */
export const BLOCKED_ENV_NAMES: ReadonlySet<string> = new Set([
  // DeployStack's list
  'LD_PRELOAD', 'LD_LIBRARY_PATH', 'LD_AUDIT', 'LD_DEBUG', 'LD_DEBUG_OUTPUT', 'LD_PROFILE', 'LD_SHOW_AUXV', 'LD_DYNAMIC_WEAK',
  'NODE_OPTIONS', 'NODE_REPL_EXTERNAL_MODULE', 'NODE_EXTRA_CA_CERTS', 'NODE_PATH', 'NODE_REDIRECT_WARNINGS',
  'PYTHONSTARTUP', 'PYTHONPATH', 'PYTHONHOME', 'PYTHONWARNINGS', 'PYTHONDEBUG', 'PYTHONINSPECT', 'PYTHONUSERSITE',
  'PYTHONEXECUTABLE', 'PYTHONHASHSEED', 'BASH_ENV', 'ENV', 'ZDOTDIR', 'SHELL', 'PATH', 'HOME', 'TMPDIR', 'TMP', 'TEMP', 'IFS',
  // Gaps: TLS trust, loaders of other runtimes, resolver and shell hooks
  'NODE_TLS_REJECT_UNAUTHORIZED', 'REQUESTS_CA_BUNDLE', 'CURL_CA_BUNDLE', 'GCONV_PATH', 'GLIBC_TUNABLES', 'NLSPATH', 'LOCPATH',
  'PERL5OPT', 'PERL5LIB', 'PERLLIB', 'PERL5DB', 'RUBYOPT', 'RUBYLIB', 'JAVA_TOOL_OPTIONS', '_JAVA_OPTIONS', 'JDK_JAVA_OPTIONS',
  'CLASSPATH', 'HOSTALIASES', 'LOCALDOMAIN', 'RES_OPTIONS', 'PROMPT_COMMAND', 'PS4', 'BROWSER', 'EDITOR', 'VISUAL', 'PAGER',
  'GIT_ASKPASS', 'SSH_ASKPASS', 'SUDO_ASKPASS', 'VIRTUAL_ENV', 'NO_PROXY', 'SHELLOPTS', 'BASHOPTS', 'CDPATH', 'GLOBIGNORE',
]);

/** Prefixes whose whole family is blocked: loaders, package managers (registry and index URLs), TLS, platform-reserved names. */
export const BLOCKED_ENV_PREFIXES: readonly string[] = [
  'LD_', 'DYLD_', 'NPM_CONFIG_', 'YARN_', 'PNPM_', 'COREPACK_', 'BUN_', 'DENO_', 'PIP_', 'UV_', 'PIPX_', 'CONDA_', 'PYTHON',
  'NODE_', 'GIT_', 'SSL_', 'OPENSSL_', 'BASH_FUNC_', 'MALLOC_', 'HANGAR_', 'FLY_',
];

/** Harmless members of blocked families that MCP servers commonly need. */
export const ALLOWED_ENV_NAMES: ReadonlySet<string> = new Set([
  'NODE_ENV', 'NODE_NO_WARNINGS', 'PYTHONUNBUFFERED', 'PYTHONIOENCODING', 'PYTHONDONTWRITEBYTECODE', 'PYTHONUTF8',
]);

/** The blocking rule an environment variable name breaks: `env_blocked` (a listed name), `env_blocked_prefix`, or undefined. */
export function blockedEnvName(name: string): { rule: 'env_blocked' | 'env_blocked_prefix'; message: string } | undefined {
  const upper = name.toUpperCase();
  if (ALLOWED_ENV_NAMES.has(upper)) return undefined;
  if (BLOCKED_ENV_NAMES.has(upper)) return { rule: 'env_blocked', message: `${name} may change how the runtime loads code or trusts peers` };
  if (upper.endsWith('_PROXY')) return { rule: 'env_blocked_prefix', message: `${name} would route the server's traffic through a proxy` };
  const prefix = BLOCKED_ENV_PREFIXES.find((p) => upper.startsWith(p));
  if (prefix) return { rule: 'env_blocked_prefix', message: `${name} is in the blocked ${prefix}* family` };
  return undefined;
}
