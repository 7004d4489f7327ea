import type { Prisma, Template } from '../db/generated/client.ts';
import type { Db } from '../db/pool.ts';
import { MissingCredentialError, type TemplateSecretSource } from '../deployments/launch-secrets.ts';
import { envText, parseFieldValue, storedFields, type PlainValue, type TemplateField } from './fields.ts';
import { mergeFingerprint, mergeTemplateValues, type FieldCandidates, type ResolvedValue, type StoredValue } from './merge.ts';

type Reader = Db | Prisma.TransactionClient;

/** Whose values a merge reads: the team, the deploying user, and (for one deployment) its own values. */
export interface ValueOwners {
  teamId: string;
  userId: string | null;
  /** The deployment whose inline secrets (deployment credentials) are its secret user-tier values. */
  deploymentId?: string;
  /** Plain user-tier values given with the deployment (kept in its stored launch spec). */
  deploymentValues?: Record<string, PlainValue>;
  /** Sealed secret user-tier values of a deployment not stored yet (while it is being created). */
  deploymentSecrets?: Record<string, { ciphertext: string; keyId: string }>;
}

/** A merge turned into what a machine needs: plain env, the names of secret env vars, and what is missing. */
export interface TemplateConfig {
  fields: TemplateField[];
  resolved: Map<string, ResolvedValue>;
  missing: string[];
  env: Record<string, string>;
  secretNames: string[];
  fingerprint: string;
}

/** A stored row as a value of `field`, or undefined when it no longer fits the field (template changed). */
function storedValueOf(field: TemplateField, row: { value: unknown; ciphertext: string | null; keyId: string | null }): StoredValue | undefined {
  if (field.type === 'secret') return row.ciphertext && row.keyId ? { kind: 'secret', ciphertext: row.ciphertext, keyId: row.keyId } : undefined;
  if (row.ciphertext) return undefined;
  const parsed = parseFieldValue(field, row.value);
  return parsed.ok ? { kind: 'plain', value: parsed.value } : undefined;
}

/** Reads the team, user and deployment values of `template` for `owners` and merges them with the defaults. */
export async function resolveTemplateConfig(db: Reader, template: Template, owners: ValueOwners): Promise<TemplateConfig> {
  const fields = storedFields(template.fields);
  const rows = await db.templateValue.findMany({
    where: {
      templateId: template.id,
      OR: [{ scope: 'team', ownerId: owners.teamId }, ...(owners.userId ? [{ scope: 'user' as const, ownerId: owners.userId }] : [])],
    },
  });
  const inline = owners.deploymentId
    ? await db.credential.findMany({ where: { scope: 'deployment', deploymentId: owners.deploymentId }, select: { name: true, ciphertext: true, keyId: true } })
    : [];
  const byName = new Map(fields.map((f) => [f.name, f]));
  const candidates = new Map<string, FieldCandidates>(fields.map((f) => [f.name, {}]));
  for (const row of rows) {
    const field = byName.get(row.field);
    const value = field && storedValueOf(field, row);
    if (!field || !value) continue;
    const entry = candidates.get(field.name)!;
    if (row.scope === 'team') entry.team = { value, locked: row.locked };
    else entry.user = value;
  }
  for (const [name, raw] of Object.entries(owners.deploymentValues ?? {})) {
    const field = byName.get(name);
    const value = field && storedValueOf(field, { value: raw, ciphertext: null, keyId: null });
    if (value) candidates.get(name)!.deployment = value;
  }
  const pendingSecrets = Object.entries(owners.deploymentSecrets ?? {}).map(([name, sealed]) => ({ name, ...sealed }));
  for (const row of [...inline, ...pendingSecrets]) {
    const field = byName.get(row.name);
    if (field?.type === 'secret') candidates.get(row.name)!.deployment = { kind: 'secret', ciphertext: row.ciphertext, keyId: row.keyId };
  }
  const { resolved, missing } = mergeTemplateValues(fields, (name) => candidates.get(name) ?? {});
  const env: Record<string, string> = {};
  const secretNames: string[] = [];
  for (const [name, r] of resolved) {
    if (r.value.kind === 'plain') env[name] = envText(r.value.value);
    else secretNames.push(name);
  }
  return { fields, resolved, missing, env, secretNames: secretNames.sort(), fingerprint: mergeFingerprint(resolved) };
}

/** Thrown when a template secret a deployment declares has no value any more (the launcher reports it). */
export class TemplateSecretMissingError extends Error {
  readonly code = 'credential_missing';
}

/**
 * The sealed secrets of one template deployment, by env name, as they resolve now. Only the launcher calls
 * it (and decrypts). A declared secret that no longer resolves throws TemplateSecretMissingError.
 */
export async function sealedTemplateSecrets(
  db: Db,
  dep: { id: string; teamId: string; createdById: string | null },
  spec: { slug: string; values: Record<string, PlainValue> },
  names: string[],
): Promise<Record<string, { ciphertext: string; keyId: string }>> {
  const template = await db.template.findUnique({ where: { slug: spec.slug } });
  if (!template) throw new TemplateSecretMissingError(`template ${spec.slug} no longer exists`);
  const config = await resolveTemplateConfig(db, template, { teamId: dep.teamId, userId: dep.createdById, deploymentId: dep.id, deploymentValues: spec.values });
  const out: Record<string, { ciphertext: string; keyId: string }> = {};
  for (const name of names) {
    const value = config.resolved.get(name)?.value;
    if (!value || value.kind !== 'secret') throw new TemplateSecretMissingError(`template secret ${name} has no value`);
    out[name] = { ciphertext: value.ciphertext, keyId: value.keyId };
  }
  return out;
}

/** The launcher's template-secret source over `db`: a secret that no longer resolves is `template_secret_missing`. */
export function createTemplateSecretSource(db: Db): TemplateSecretSource {
  return {
    sealed: (dep, spec, names) =>
      sealedTemplateSecrets(db, dep, spec, names).catch((error: unknown) => {
        throw error instanceof TemplateSecretMissingError ? new MissingCredentialError(error.message, 'template_secret_missing') : error;
      }),
  };
}
