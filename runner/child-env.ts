/**
 * The environment the MCP server child receives: the runner's own environment minus the variables that
 * configure the runner itself. Nothing is added. Removed:
 * - every `HANGAR_RUNNER_*` variable (the bearer token, the names of secret variables, runner options);
 * - every `FLY_*` variable (Fly's runtime metadata: app name, machine id, private address, region), which
 *   is not part of the deployment's declared environment.
 * The API must refuse deployment variables whose names start with either prefix.
 */
export const RUNNER_ONLY_PREFIXES = ['HANGAR_RUNNER_', 'FLY_'] as const;

/** Returns the child's environment: `env` without the runner-only variables (see RUNNER_ONLY_PREFIXES). */
export function buildChildEnv(env: NodeJS.ProcessEnv): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined) continue;
    if (RUNNER_ONLY_PREFIXES.some((prefix) => name.startsWith(prefix))) continue;
    out[name] = value;
  }
  return out;
}

/** Returns whether a deployment may declare a variable of this name (it would be stripped otherwise). */
export function isDeclarableEnvName(name: string): boolean {
  return !RUNNER_ONLY_PREFIXES.some((prefix) => name.startsWith(prefix));
}

/**
 * Values the runner must never print: the token, every variable listed in `HANGAR_RUNNER_SECRET_NAMES`
 * (comma separated) and every variable whose name looks secret. Used to mask the child's stderr.
 */
export function collectSecretValues(env: NodeJS.ProcessEnv, token: string, secretLike: RegExp): Set<string> {
  const listed = new Set((env.HANGAR_RUNNER_SECRET_NAMES ?? '').split(',').map((s) => s.trim()).filter(Boolean));
  const values = new Set<string>([token]);
  for (const [name, value] of Object.entries(env)) {
    if (!value || value.length < 4) continue;
    if (listed.has(name) || secretLike.test(name)) values.add(value);
  }
  return values;
}
