import { z } from '@hono/zod-openapi';
import { CredentialValueSchema } from '../credentials/schemas.ts';
import { blockedEnvName } from '../launch-spec/env-rules.ts';

/** The value types a template field may have; `secret` values live only in the vault. */
export const FIELD_TYPES = ['string', 'number', 'boolean', 'url', 'secret'] as const;
export type FieldType = (typeof FIELD_TYPES)[number];

/** The most specific tier at which a field may be set: `template` (default only), `team`, or `user`. */
export const FIELD_TIERS = ['template', 'team', 'user'] as const;
export type FieldTier = (typeof FIELD_TIERS)[number];

/** A plain (non-secret) field value as stored in `template_values.value` and template defaults. */
export type PlainValue = string | number | boolean;

const MAX_VALUE_BYTES = 32 * 1024;
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;

export const FieldSchema = z
  .object({
    name: z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_]{0,127}$/, 'must be an environment variable name')
      .openapi({ description: 'The environment variable the server reads', example: 'GITHUB_PERSONAL_ACCESS_TOKEN' }),
    type: z.enum(FIELD_TYPES).openapi({ description: 'Value type; `secret` values are vault-encrypted and never shown', example: 'secret' }),
    required: z.boolean().default(false).openapi({ description: 'A deployment waits in `awaiting_config` until it is set', example: true }),
    default: z.union([z.string().max(MAX_VALUE_BYTES), z.number(), z.boolean()]).optional().openapi({ description: 'Template default (not allowed for secrets)', example: 'https://gitlab.com/api/v4' }),
    description: z.string().max(500).default('').openapi({ description: 'What to enter', example: 'A GitHub personal access token with repo scope' }),
    tier: z.enum(FIELD_TIERS).default('user').openapi({ description: 'Most specific tier that may set it: template (default only), team (team admins), user (each user)', example: 'user' }),
  })
  .strict()
  .openapi('TemplateField');

export type TemplateField = z.infer<typeof FieldSchema>;

export interface FieldIssue {
  path: string;
  message: string;
}

/**
 * Checks one value against its field's type (everything but DNS, which `checkUrlHosts` does): numbers and
 * booleans also accept their string forms (CLI prompts), and come back normalised. Secrets come back as
 * the plaintext string, for the vault.
 */
export function parseFieldValue(field: TemplateField, raw: unknown): { ok: true; value: PlainValue } | { ok: false; message: string } {
  switch (field.type) {
    case 'number': {
      const n = typeof raw === 'number' ? raw : typeof raw === 'string' && /^-?\d+(\.\d+)?([eE][-+]?\d+)?$/.test(raw.trim()) ? Number(raw) : Number.NaN;
      return Number.isFinite(n) ? { ok: true, value: n } : { ok: false, message: 'must be a finite number' };
    }
    case 'boolean':
      if (typeof raw === 'boolean') return { ok: true, value: raw };
      if (raw === 'true' || raw === 'false') return { ok: true, value: raw === 'true' };
      return { ok: false, message: 'must be true or false' };
    case 'secret': {
      const parsed = CredentialValueSchema.safeParse(raw);
      return parsed.success ? { ok: true, value: parsed.data } : { ok: false, message: parsed.error.issues[0]?.message ?? 'invalid secret' };
    }
    case 'url': {
      if (typeof raw !== 'string') return { ok: false, message: 'must be a URL string' };
      let url: URL;
      try {
        url = new URL(raw);
      } catch {
        return { ok: false, message: 'must be an absolute URL' };
      }
      if (url.protocol !== 'https:') return { ok: false, message: 'must use https' };
      if (url.username || url.password) return { ok: false, message: 'must not carry credentials' };
      return raw.length > 2048 ? { ok: false, message: 'must be at most 2048 characters' } : { ok: true, value: raw };
    }
    case 'string':
      if (typeof raw !== 'string') return { ok: false, message: 'must be a string' };
      if (Buffer.byteLength(raw, 'utf8') > MAX_VALUE_BYTES) return { ok: false, message: `must be at most ${MAX_VALUE_BYTES} bytes` };
      if (CONTROL.test(raw)) return { ok: false, message: 'must not contain control characters' };
      return { ok: true, value: raw };
  }
}

/** The environment-variable text of a plain value (numbers in JS notation, booleans as `true`/`false`). */
export function envText(value: PlainValue): string {
  return typeof value === 'string' ? value : String(value);
}

/**
 * Rules for a whole field list (template save): unique names, names the launch-spec rules allow, no secret
 * defaults, defaults of the right type, and no required template-tier field without a default (it could
 * never be set).
 */
export function checkFieldList(fields: TemplateField[]): FieldIssue[] {
  const issues: FieldIssue[] = [];
  const seen = new Set<string>();
  fields.forEach((field, i) => {
    const path = `fields[${i}]`;
    if (seen.has(field.name.toUpperCase())) issues.push({ path: `${path}.name`, message: `duplicate field ${field.name}` });
    seen.add(field.name.toUpperCase());
    const blocked = blockedEnvName(field.name);
    if (blocked) issues.push({ path: `${path}.name`, message: blocked.message });
    if (field.type === 'secret' && field.default !== undefined) issues.push({ path: `${path}.default`, message: 'a secret field cannot have a default' });
    if (field.type === 'secret' && field.tier === 'template') issues.push({ path: `${path}.tier`, message: 'a secret field must be settable by a team or a user' });
    if (field.default !== undefined && field.type !== 'secret') {
      const parsed = parseFieldValue(field, field.default);
      if (!parsed.ok) issues.push({ path: `${path}.default`, message: parsed.message });
    }
    if (field.tier === 'template' && field.required && field.default === undefined) {
      issues.push({ path: `${path}.default`, message: 'a required template-tier field needs a default' });
    }
  });
  return issues;
}

/** Parses a stored `templates.fields` column; rows written by this code always parse. */
export function storedFields(json: unknown): TemplateField[] {
  return z.array(FieldSchema).parse(json);
}
