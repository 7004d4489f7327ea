import type { LaunchIssue, PackagePin } from './issues.ts';

/** The only programs a launch spec may start, matched exactly after trimming. */
export const ALLOWED_COMMANDS = ['npx', 'node', 'uvx', 'python', 'python3'] as const;
export type AllowedCommand = (typeof ALLOWED_COMMANDS)[number];

const NPM_COMMANDS: ReadonlySet<string> = new Set(['npx', 'node']);

/**
 * Checks the command: ASCII only (a Unicode look-alike is refused even when NFKC maps it to ASCII), no
 * paths, in the allowlist, and of the pinned package's runtime (npm: npx/node, PyPI: uvx/python).
 */
export function checkCommand(raw: string, pinned: PackagePin | undefined): { command?: AllowedCommand; issues: LaunchIssue[] } {
  const normalized = raw.normalize('NFKC').trim();
  if (!/^[\x20-\x7e]*$/.test(raw) || normalized !== raw.trim()) {
    return { issues: [{ path: 'command', rule: 'ascii_only', message: 'command must be plain ASCII (Unicode look-alikes are refused)' }] };
  }
  if (!(ALLOWED_COMMANDS as readonly string[]).includes(normalized)) {
    return { issues: [{ path: 'command', rule: 'command_allowlist', message: `command must be exactly one of ${ALLOWED_COMMANDS.join(', ')} (no paths, no arguments)` }] };
  }
  const command = normalized as AllowedCommand;
  if (pinned && NPM_COMMANDS.has(command) !== (pinned.runtime === 'npm')) {
    const expected = pinned.runtime === 'npm' ? 'npx or node' : 'uvx or python';
    return { command, issues: [{ path: 'command', rule: 'runtime_mismatch', message: `a ${pinned.runtime} package runs with ${expected}, never ${command}` }] };
  }
  return { command, issues: [] };
}

interface OptionRules {
  allowed: (arg: string) => boolean;
  /** Flags that run code given on the command line (or preload it). */
  inline: (arg: string) => boolean;
}

const flagName = (arg: string): string => arg.split('=')[0]!;

const RULES: Record<AllowedCommand, OptionRules> = {
  npx: {
    allowed: (a) => ['-y', '--yes', '-q', '--quiet'].includes(a),
    inline: (a) => ['--call', '--node-options', '--script-shell'].includes(flagName(a)) || /^-[a-z]*c[a-z]*$/i.test(a),
  },
  uvx: {
    allowed: (a) => ['-q', '--quiet', '--isolated', '--no-cache', '--offline'].includes(a),
    inline: (a) => ['--with', '--with-editable', '--with-requirements', '--from'].includes(flagName(a)),
  },
  node: {
    allowed: (a) => ['--enable-source-maps', '--no-warnings'].includes(a) || /^--max-old-space-size=\d{1,6}$/.test(a),
    inline: (a) =>
      /^-[a-z]*[epri][a-z]*$/i.test(a) ||
      ['--eval', '--print', '--require', '--import', '--loader', '--experimental-loader', '--interactive', '--env-file'].includes(flagName(a)) ||
      flagName(a).startsWith('--inspect'),
  },
  python: {
    allowed: (a) => ['-u', '-B', '-E', '-I', '-s', '-S', '-O', '-OO', '-q', '-P'].includes(a),
    inline: (a) => /^-[A-Za-z]*[ci]/.test(a) && !a.startsWith('--'),
  },
  python3: {
    allowed: (a) => ['-u', '-B', '-E', '-I', '-s', '-S', '-O', '-OO', '-q', '-P'].includes(a),
    inline: (a) => /^-[A-Za-z]*[ci]/.test(a) && !a.startsWith('--'),
  },
};

/** The argument that must start the package part of the command line for `pinned`. */
function pinnedArg(command: AllowedCommand, pinned: PackagePin): string | undefined {
  if (command === 'npx') return `${pinned.name}@${pinned.version}`;
  if (command === 'uvx') return `${pinned.name}==${pinned.version}`;
  return undefined;
}

/**
 * Checks the interpreter's own options (everything before the first positional argument, which is where
 * npx, uvx, node and python read them): only listed options, no inline-code flags, and the first
 * positional must be the pinned package (npx/uvx) or `-m <pinned module>` (python). Arguments after it
 * belong to the MCP server and get only the generic checks.
 */
export function checkOptions(command: AllowedCommand, args: readonly string[], pinned: PackagePin | undefined): LaunchIssue[] {
  const rules = RULES[command];
  const issues: LaunchIssue[] = [];
  const isPython = command === 'python' || command === 'python3';
  const module = pinned ? pinned.name.replace(/[-.]/g, '_') : undefined;
  for (let i = 0; i < args.length; i += 1) {
    const arg = args[i]!;
    const path = `args[${i}]`;
    if (isPython && (arg === '-m' || /^-m[A-Za-z_]/.test(arg))) {
      const given = arg === '-m' ? args[i + 1] : arg.slice(2);
      if (module === undefined || given !== module) {
        issues.push({ path, rule: 'inline_code', message: `python -m may only run the pinned package's module${module ? ` (${module})` : ''}` });
      }
      return issues;
    }
    if (!arg.startsWith('-') || arg === '-') {
      if (isPython) issues.push({ path, rule: 'python_module_required', message: 'python must run the pinned package with -m <module>, not a script' });
      const expected = pinned ? pinnedArg(command, pinned) : undefined;
      if (expected !== undefined && arg !== expected) issues.push({ path, rule: 'pinned_package', message: `the package argument must be exactly ${expected}` });
      return issues;
    }
    if (rules.inline(arg)) {
      issues.push({ path, rule: 'inline_code', message: `${flagName(arg)} runs or preloads code given on the command line` });
    } else if (!rules.allowed(arg)) {
      issues.push({ path, rule: 'option_not_allowed', message: `${command} option ${flagName(arg).slice(0, 40)} is not allowed` });
    }
  }
  if (isPython) issues.push({ path: 'args', rule: 'python_module_required', message: 'python must run the pinned package with -m <module>' });
  else if (pinned && pinnedArg(command, pinned)) issues.push({ path: 'args', rule: 'pinned_package', message: `the arguments must name ${pinnedArg(command, pinned)}` });
  return issues;
}
