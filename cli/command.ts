import { parseArgs } from 'node:util';
import type { ApiClient } from './client.ts';
import type { EffectiveConfig } from './config.ts';
import { UsageError } from './errors.ts';
import type { Io, Output } from './output.ts';
import type { Prompter } from './prompt.ts';

export interface OptionSpec {
  type: 'string' | 'boolean';
  short?: string;
  multiple?: boolean;
  /** The placeholder shown in help, e.g. `K=V`. */
  value?: string;
  description: string;
}

export type OptionValues = Record<string, string | boolean | string[] | boolean[] | undefined>;

export interface ParsedInput {
  values: OptionValues;
  positionals: string[];
}

/** What a command may use: presentation, prompts, configuration and API clients. */
export interface CommandContext {
  io: Io;
  out: Output;
  prompt: Prompter;
  configPath: string;
  config: EffectiveConfig;
  /** A client with the stored or HANGAR_API_KEY key; exit 4 when there is none. */
  api(): ApiClient;
  /** A client without credentials (sign-up, login). */
  anonymous(): ApiClient;
  /** The team to act in: `--team`, else HANGAR_TEAM or the stored team, else the caller's personal team. */
  resolveTeam(flag: string | undefined): Promise<string>;
}

/** One command: its words, help text, options and what it does. A `read` command gets `--json`. */
export interface Command {
  path: string[];
  summary: string;
  usage: string;
  description?: string;
  examples: string[];
  options?: Record<string, OptionSpec>;
  positionals?: { min: number; max: number };
  read?: boolean;
  run(ctx: CommandContext, input: ParsedInput): Promise<number | void>;
}

const HELP: OptionSpec = { type: 'boolean', short: 'h', description: 'Show this help' };
const JSON_OPTION: OptionSpec = { type: 'boolean', description: 'Print JSON (for scripts)' };

/** Every option of a command, with --help and (for reads) --json. */
export function optionsOf(command: Command): Record<string, OptionSpec> {
  return { ...command.options, ...(command.read ? { json: JSON_OPTION } : {}), help: HELP };
}

/** Parses a command's arguments strictly; unknown options and wrong positional counts are usage errors. */
export function parseCommandArgs(command: Command, args: string[]): ParsedInput & { help: boolean } {
  const options = optionsOf(command);
  const config = Object.fromEntries(
    Object.entries(options).map(([name, o]) => [name, { type: o.type, ...(o.short ? { short: o.short } : {}), ...(o.multiple ? { multiple: true } : {}) }]),
  );
  let parsed: { values: OptionValues; positionals: string[] };
  try {
    parsed = parseArgs({ args, options: config, allowPositionals: true, strict: true }) as { values: OptionValues; positionals: string[] };
  } catch (error) {
    throw new UsageError((error as Error).message.split('\n')[0] ?? 'invalid arguments');
  }
  const help = parsed.values.help === true;
  const { min, max } = command.positionals ?? { min: 0, max: 0 };
  if (!help && parsed.positionals.length < min) throw new UsageError(`Missing argument: ${command.usage}`);
  if (!help && parsed.positionals.length > max) throw new UsageError(`Unexpected argument "${parsed.positionals[max]}": ${command.usage}`);
  return { ...parsed, help };
}

/** The full help of one command. */
export function formatHelp(command: Command): string {
  const options = optionsOf(command);
  const rows = Object.entries(options).map(([name, o]) => {
    const flag = `${o.short ? `-${o.short}, ` : '    '}--${name}${o.type === 'string' ? ` <${o.value ?? 'value'}>` : ''}`;
    return [flag, o.description + (o.multiple ? ' (repeatable)' : '')] as const;
  });
  const width = Math.max(...rows.map(([f]) => f.length));
  const lines = [`Usage: ${command.usage}`, '', command.summary];
  if (command.description) lines.push('', command.description);
  lines.push('', 'Options:', ...rows.map(([f, d]) => `  ${f.padEnd(width)}  ${d}`));
  if (command.examples.length) lines.push('', 'Examples:', ...command.examples.map((e) => `  ${e}`));
  return `${lines.join('\n')}\n`;
}

/** The overview of a list of commands (top level or one group). */
export function formatOverview(title: string, commands: Command[], footer: string[] = []): string {
  const rows = commands.map((c) => [c.path.join(' '), c.summary] as const);
  const width = Math.max(...rows.map(([u]) => u.length));
  const lines = [title, '', 'Commands:', ...rows.map(([u, s]) => `  ${u.padEnd(width)}  ${s}`)];
  if (footer.length) lines.push('', ...footer);
  return `${lines.join('\n')}\n`;
}

/** The string value of an option, or undefined. */
export function stringOption(values: OptionValues, name: string): string | undefined {
  const v = values[name];
  return typeof v === 'string' ? v : undefined;
}

/** The values of a repeatable string option. */
export function listOption(values: OptionValues, name: string): string[] {
  const v = values[name];
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : typeof v === 'string' ? [v] : [];
}

/** A positive number option (seconds, milliseconds); usage error if malformed. */
export function numberOption(values: OptionValues, name: string, fallback: number): number {
  const v = stringOption(values, name);
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new UsageError(`--${name} must be a non-negative number`);
  return n;
}

/** Splits `K=V` (the value may contain `=`); usage error without one. */
export function splitPair(text: string, flag: string): [string, string] {
  const at = text.indexOf('=');
  if (at <= 0) throw new UsageError(`${flag} expects NAME=VALUE, got "${text.length > 40 ? `${text.slice(0, 40)}…` : text}"`);
  return [text.slice(0, at), text.slice(at + 1)];
}
