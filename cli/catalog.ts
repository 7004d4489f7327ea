import type { ApiClient } from './client.ts';

export type FieldType = 'string' | 'number' | 'boolean' | 'url' | 'secret';
export type FieldTier = 'template' | 'team' | 'user';
export type PlainValue = string | number | boolean;

/** One configuration field of a template (GET /v1/templates/{slug}). */
export interface TemplateField {
  name: string;
  type: FieldType;
  required: boolean;
  default?: PlainValue;
  description: string;
  tier: FieldTier;
}

/** A catalog template as the API shows it. */
export interface Template {
  slug: string;
  name: string;
  description: string;
  package: string;
  args: string[];
  fields: TemplateField[];
  retired: boolean;
  retiredAt: string | null;
}

/** One field of a tier's values (GET …/templates/{slug}/values); secrets are always `*****`. */
export interface FieldValue {
  name: string;
  set: boolean;
  value: PlainValue | null;
  locked: boolean;
}

/** A tier's values for a template. */
export interface TemplateValues {
  template: string;
  scope: 'team' | 'user';
  fields: Array<TemplateField & FieldValue>;
}

/** Where a field's effective value comes from, as the server merges them; undefined when nowhere. */
export type ValueSource = 'template' | 'team' | 'user' | 'deployment';

/** The per-field view of one template for one user in one team. */
export interface FieldStatus {
  field: TemplateField;
  team: FieldValue | undefined;
  user: FieldValue | undefined;
  source: ValueSource | undefined;
}

/**
 * The source of a field's effective value, mirroring the server's merge (api/catalog/merge.ts): default <
 * team < user < this deployment's values, except that a locked team value wins; tiers the field does not
 * allow are ignored.
 */
export function effectiveSource(field: TemplateField, team: FieldValue | undefined, user: FieldValue | undefined, given: boolean): ValueSource | undefined {
  const teamAllowed = field.tier === 'team' || field.tier === 'user';
  const userAllowed = field.tier === 'user';
  if (teamAllowed && team?.set && team.locked) return 'team';
  if (userAllowed && given) return 'deployment';
  if (userAllowed && user?.set) return 'user';
  if (teamAllowed && team?.set) return 'team';
  if (field.default !== undefined && field.type !== 'secret') return 'template';
  return undefined;
}

/** Reads a template with the team's and the caller's values and merges them field by field. */
export async function readFieldStatus(api: ApiClient, slug: string, team: string, given: ReadonlySet<string> = new Set()): Promise<{ template: Template; fields: FieldStatus[] }> {
  const path = encodeURIComponent(slug);
  const template = await api.get<Template>(`/v1/templates/${path}`);
  const [teamValues, userValues] = await Promise.all([
    api.get<TemplateValues>(`/v1/teams/${encodeURIComponent(team)}/templates/${path}/values`),
    api.get<TemplateValues>(`/v1/me/templates/${path}/values`),
  ]);
  const byName = (values: TemplateValues) => new Map(values.fields.map((f) => [f.name, f]));
  const teamBy = byName(teamValues);
  const userBy = byName(userValues);
  const fields = template.fields.map((field) => {
    const t = teamBy.get(field.name);
    const u = userBy.get(field.name);
    return { field, team: t, user: u, source: effectiveSource(field, t, u, given.has(field.name)) };
  });
  return { template, fields };
}

/** The exact `hangar catalog set` command that sets `field` at `scope` (secrets prompt, never in argv). */
export function setCommand(slug: string, field: TemplateField, scope: { team: string } | 'user'): string {
  const value = field.type === 'secret' ? field.name : `${field.name}=<${field.type}>`;
  return `hangar catalog set ${slug} ${value} ${scope === 'user' ? '--user' : `--team ${scope.team}`}`;
}
