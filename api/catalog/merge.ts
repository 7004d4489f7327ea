import type { PlainValue, TemplateField } from './fields.ts';

/** Where an effective value came from. `deployment` values are user-tier values given with one deployment. */
export type ValueSource = 'template' | 'team' | 'user' | 'deployment';

/** A stored value: plain JSON, or a vault-sealed secret (never decrypted outside the launcher). */
export type StoredValue = { kind: 'plain'; value: PlainValue } | { kind: 'secret'; ciphertext: string; keyId: string };

/** The values set for one field at each tier above the template. */
export interface FieldCandidates {
  team?: { value: StoredValue; locked: boolean };
  user?: StoredValue;
  deployment?: StoredValue;
}

export interface ResolvedValue {
  source: ValueSource;
  value: StoredValue;
}

/**
 * The effective value of one field: template default < team value < user value < deployment value, except
 * that a team value the team locked wins over the user tiers. A tier the field does not allow (its `tier`)
 * is ignored, even if a stale row exists from before the template changed. Undefined: not set anywhere.
 */
export function resolveField(field: TemplateField, candidates: FieldCandidates): ResolvedValue | undefined {
  const teamAllowed = field.tier === 'team' || field.tier === 'user';
  const userAllowed = field.tier === 'user';
  if (teamAllowed && candidates.team?.locked) return { source: 'team', value: candidates.team.value };
  if (userAllowed && candidates.deployment) return { source: 'deployment', value: candidates.deployment };
  if (userAllowed && candidates.user) return { source: 'user', value: candidates.user };
  if (teamAllowed && candidates.team) return { source: 'team', value: candidates.team.value };
  if (field.default !== undefined && field.type !== 'secret') return { source: 'template', value: { kind: 'plain', value: field.default } };
  return undefined;
}

/** Every field's effective value, and the required fields that have none (in template order). */
export function mergeTemplateValues(fields: TemplateField[], candidates: (name: string) => FieldCandidates): { resolved: Map<string, ResolvedValue>; missing: string[] } {
  const resolved = new Map<string, ResolvedValue>();
  const missing: string[] = [];
  for (const field of fields) {
    const value = resolveField(field, candidates(field.name));
    if (value) resolved.set(field.name, value);
    else if (field.required) missing.push(field.name);
  }
  return { resolved, missing };
}

/**
 * A stable text naming every effective value (a secret by its ciphertext): two merges that launch the same
 * machine give the same text, so a value change rolls exactly the deployments it reaches.
 */
export function mergeFingerprint(resolved: Map<string, ResolvedValue>): string {
  return JSON.stringify(
    [...resolved.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([name, r]) => [name, r.source, r.value.kind === 'plain' ? r.value.value : r.value.ciphertext]),
  );
}
