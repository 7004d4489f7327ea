import type { CommandContext } from './command.ts';
import { UsageError } from './errors.ts';

/** How a command treats the names and values on its command line (`secrets set`, `catalog set`). */
export interface ValueArgRules {
  /** Checks (and may normalise) a name; throws a UsageError for a bad one. */
  check(name: string): string;
  /** Throws a UsageError when `NAME=VALUE` is refused for this name (a secret must not be in argv). */
  refuseInline?(name: string): void;
  /** Whether a prompt for this name hides what is typed. */
  hidden(name: string): boolean;
  /** What to suggest when there is no value and no terminal to ask on. */
  hint(name: string): string;
}

/**
 * The (name, value) pairs a command line means: `NAME=VALUE`, `NAME -` (the value on stdin, once), or a bare
 * `NAME` (a prompt on a terminal, hidden when `rules.hidden`). Error messages name the field, never echo a value.
 */
export async function collectValueArgs(ctx: CommandContext, positionals: string[], rules: ValueArgRules): Promise<Array<[string, string]>> {
  const pairs: Array<[string, string]> = [];
  let usedStdin = false;
  for (let i = 0; i < positionals.length; i += 1) {
    const arg = positionals[i] ?? '';
    const eq = arg.indexOf('=');
    if (eq > 0) {
      const name = rules.check(arg.slice(0, eq));
      rules.refuseInline?.(name);
      pairs.push([name, arg.slice(eq + 1)]);
      continue;
    }
    const name = rules.check(arg);
    if (positionals[i + 1] === '-') {
      if (usedStdin) throw new UsageError('Only one value can come from stdin');
      usedStdin = true;
      i += 1;
      pairs.push([name, await ctx.prompt.readAll()]);
    } else if (ctx.prompt.interactive) {
      pairs.push([name, await ctx.prompt.ask(`Value for ${name}: `, { hidden: rules.hidden(name) })]);
    } else {
      throw new UsageError(`No value for ${name}: ${rules.hint(name)}`);
    }
  }
  return pairs;
}
