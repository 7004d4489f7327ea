/** One reason a launch spec is refused: the field (e.g. `env.LD_PRELOAD`, `args[3]`), the rule, and a message. */
export interface LaunchIssue {
  path: string;
  rule: string;
  message: string;
}

/** The package a launch spec must run, exactly (from admission). */
export interface PackagePin {
  runtime: 'npm' | 'pypi';
  name: string;
  version: string;
}

const CONTROL = /[\p{Cc}\p{Cf}\p{Cs}\u2028\u2029]/u;

/** Rejects control characters (C0, C1, DEL), invisible format characters (bidi overrides, zero-width) and lone surrogates. */
export function controlCharIssue(path: string, value: string): LaunchIssue | undefined {
  const m = CONTROL.exec(value);
  if (!m) return undefined;
  const code = m[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0');
  return { path, rule: 'control_chars', message: `contains control or invisible character U+${code}` };
}

/** Shows a value in a message without echoing it whole (it may be long or hostile). */
export function preview(value: string): string {
  const ascii = value.replace(/[^\x20-\x7e]/g, '?');
  return ascii.length > 40 ? `${ascii.slice(0, 40)}...` : ascii;
}
