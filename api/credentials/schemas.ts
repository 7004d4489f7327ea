import { TeamParams } from '../http/params.ts';
import { z } from '@hono/zod-openapi';
import type { Credential } from '../db/generated/client.ts';

/** The longest value a credential may hold, in UTF-8 bytes (a PEM private key fits many times over). */
export const MAX_CREDENTIAL_BYTES = 32 * 1024;

/**
 * Control characters a value may not contain: every C0 control except tab, line feed and carriage return
 * (PEM keys and pasted `\r\n` text need those), and DEL. A NUL could never reach a process environment.
 */
const FORBIDDEN_CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;

/** In `u` mode a paired surrogate is one code point, so this matches only unpaired halves (which UTF-8 cannot encode). */
const LONE_SURROGATE = /[\uD800-\uDFFF]/u;

export const CredentialNameSchema = z
  .string()
  .max(128)
  .regex(/^[A-Z_][A-Z0-9_]*$/, 'must be upper-case letters, digits and underscores, not starting with a digit')
  .openapi({ description: 'Credential name, unique per team (team tier) or per user (user tier)', example: 'GITHUB_TOKEN' });

export const CredentialValueSchema = z
  .string()
  .min(1)
  .refine((value) => Buffer.byteLength(value, 'utf8') <= MAX_CREDENTIAL_BYTES, `must be at most ${MAX_CREDENTIAL_BYTES} bytes of UTF-8`)
  .refine((value) => !FORBIDDEN_CONTROL.test(value), 'must not contain control characters other than tab, CR and LF')
  .refine((value) => !LONE_SURROGATE.test(value), 'must be well-formed Unicode (no lone surrogates)')
  .openapi({ description: 'The secret. Encrypted on arrival; no endpoint ever returns it', example: 'ghp_16C7e42F292c6912E7710c838347Ae178B4a' });

export const CreateCredentialSchema = z
  .object({ name: CredentialNameSchema, value: CredentialValueSchema })
  .strict()
  .openapi('CreateCredential');

export const ReplaceCredentialSchema = z.object({ value: CredentialValueSchema }).strict().openapi('ReplaceCredential');

export const CredentialSchema = z
  .object({
    name: z.string().openapi({ example: 'GITHUB_TOKEN' }),
    scope: z.enum(['team', 'user']).openapi({ description: '`team`: usable by every deployment of the team; `user`: the owner’s own, overriding the team value of the same name' }),
    value: z.literal('*****').openapi({ description: 'Always masked: plaintext is never returned', example: '*****' }),
    keyId: z.string().openapi({ description: 'Id of the vault key the value is encrypted under', example: 'k_3f9a1c2b' }),
    createdAt: z.string().openapi({ example: '2026-01-01T00:00:00.000Z' }),
    updatedAt: z.string().openapi({ description: 'When the value was last replaced', example: '2026-01-02T00:00:00.000Z' }),
    lastUsedAt: z.string().nullable().openapi({ description: 'When a deployment last launched with it', example: null }),
    lastUsedBy: z.string().nullable().openapi({ description: 'Id of the deployment that last launched with it', example: null }),
  })
  .openapi('Credential');

export type CredentialView = z.infer<typeof CredentialSchema>;

/** Shapes a stored credential for a response: metadata only, the value always `*****`. */
export function credentialView(row: Credential): CredentialView {
  if (row.scope === 'deployment') throw new Error('inline deployment secrets are not credentials');
  return {
    name: row.name,
    scope: row.scope,
    value: '*****',
    keyId: row.keyId,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
    lastUsedAt: row.lastUsedAt?.toISOString() ?? null,
    lastUsedBy: row.lastUsedBy,
  };
}

export const CredentialPageSchema = z
  .object({ data: z.array(CredentialSchema), nextCursor: z.string().nullable().openapi({ example: null }) })
  .openapi('CredentialPage');

export const NameParams = z.object({
  name: z.string().min(1).max(128).openapi({ param: { name: 'name', in: 'path' }, description: 'Credential name', example: 'GITHUB_TOKEN' }),
});


export const TeamNameParams = TeamParams.merge(NameParams);

export const CredentialPageQuery = z.object({
  limit: z.coerce.number().int().min(1).max(200).default(50).openapi({ param: { name: 'limit', in: 'query' }, example: 50 }),
  cursor: z.string().max(400).optional().openapi({ param: { name: 'cursor', in: 'query' }, description: 'Opaque cursor from `nextCursor`' }),
});
