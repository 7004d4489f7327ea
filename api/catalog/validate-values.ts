import type { LaunchChecker } from '../deployments/launch-check.ts';
import { PolicyError, ValidationError } from '../http/errors.ts';
import { parseFieldValue, type FieldIssue, type PlainValue, type TemplateField } from './fields.ts';

/** Which tier is writing, and (for user-tier writes into one team) the fields that team locked. */
export interface ValueWriteRules {
  tier: 'team' | 'user';
  locked?: ReadonlySet<string>;
  /** Path prefix of issues, e.g. `values`. */
  path: string;
}

/** Parsed values by field: a plain value, a secret plaintext (for the vault), or null (clear it). */
export type ParsedValues = Map<string, { field: TemplateField; value: PlainValue | null }>;

/**
 * Validates values written at `rules.tier` against the template's fields: known names only, a tier the
 * field allows, not locked by the team, the field's type, and for URLs the launch-spec host rules.
 * Bad input is a 400 naming each field; a locked field or a refused URL host is a 422.
 */
export async function parseValues(checker: LaunchChecker, fields: TemplateField[], input: Record<string, unknown>, rules: ValueWriteRules): Promise<ParsedValues> {
  const byName = new Map(fields.map((f) => [f.name, f]));
  const issues: FieldIssue[] = [];
  const locked: string[] = [];
  const out: ParsedValues = new Map();
  for (const [name, raw] of Object.entries(input)) {
    const path = `${rules.path}.${name}`;
    const field = byName.get(name);
    if (!field) {
      issues.push({ path, message: 'not a field of this template' });
      continue;
    }
    if (field.tier === 'template' || (field.tier === 'team' && rules.tier === 'user')) {
      issues.push({ path, message: `may only be set at the ${field.tier} tier` });
      continue;
    }
    if (rules.locked?.has(name)) {
      locked.push(name);
      continue;
    }
    if (raw === null) {
      out.set(name, { field, value: null });
      continue;
    }
    const parsed = parseFieldValue(field, raw);
    if (!parsed.ok) issues.push({ path, message: parsed.message });
    else out.set(name, { field, value: parsed.value });
  }
  if (issues.length > 0) throw new ValidationError(`Invalid values: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`, issues);
  if (locked.length > 0) {
    throw new PolicyError(`Locked by the team: ${locked.join(', ')}`, 'field_locked', { issues: locked.map((name) => ({ path: `${rules.path}.${name}`, message: 'the team locked this field' })) });
  }
  const urls = [...out.entries()].flatMap(([name, v]) => (v.field.type === 'url' && typeof v.value === 'string' ? [[name, v.value] as [string, string]] : []));
  // The launcher's own URL rules and resolver: no loopback, private, link-local or metadata host.
  const hostIssues = (await checker.checkUrls(Object.fromEntries(urls.map(([name, url]) => [`${rules.path}.${name}`, url])))).map((i) => ({ path: i.path, message: i.message }));
  if (hostIssues.length > 0) throw new PolicyError(`URL refused: ${hostIssues.map((i) => `${i.path}: ${i.message}`).join('; ')}`, 'url_rejected', { issues: hostIssues });
  return out;
}
