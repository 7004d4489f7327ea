import { z } from '@hono/zod-openapi';
import type { Team } from '../db/generated/client.ts';
import { TEAM_ROLES } from '../auth/principal.ts';
import { AdmissionPolicySchema, type AdmissionPolicy } from '../packages/verdict.ts';

export const TeamSchema = z
  .object({
    id: z.string().openapi({ example: 'team_0123456789abcdef' }),
    slug: z.string().openapi({ example: 'acme' }),
    name: z.string().openapi({ example: 'Acme' }),
    personal: z.boolean(),
    role: z.enum(TEAM_ROLES).openapi({ description: 'The caller’s effective role in this team' }),
    policy: AdmissionPolicySchema.openapi({ description: 'The admission policy every deploy and template deploy of this team is judged by' }),
    createdAt: z.string(),
  })
  .openapi('Team');


export const SlugSchema = z
  .string()
  .regex(/^[a-z0-9](?:[a-z0-9-]{1,38}[a-z0-9])$/, 'must be 3..40 lower-case letters, digits and dashes')
  .refine((s) => !/^team_/.test(s), 'must not look like a team id')
  .openapi({ example: 'acme' });

export const MemberSchema = z
  .object({
    userId: z.string().openapi({ example: 'usr_0123456789abcdef' }),
    email: z.string(),
    name: z.string().nullable(),
    role: z.enum(TEAM_ROLES),
    since: z.string(),
  })
  .openapi('Member');

/**
 * A change to the admission policy: only the switches given (no defaults, so a partial change keeps the
 * others), with the same bounds as `AdmissionPolicySchema`.
 */
export const PolicyChangeSchema = z
  .object({
    rejectInstallScripts: z.boolean().optional().openapi({ example: true }),
    rejectYoungerThanHours: z.number().int().min(0).max(8760).optional().openapi({ example: 72 }),
    rejectTyposquats: z.boolean().optional().openapi({ example: true }),
  })
  .strict()
  .openapi('AdmissionPolicyChange', { description: 'Switches to change; the ones left out keep their value' });

/** The team's stored admission policy with every switch filled in (a row that fails to parse: the defaults). */
export function storedPolicy(team: Team): AdmissionPolicy {
  const parsed = AdmissionPolicySchema.safeParse(team.policy);
  return parsed.success ? parsed.data : AdmissionPolicySchema.parse({});
}

/** Shapes a team row with the caller's role. */
export function teamView(team: Team, role: z.infer<typeof TeamSchema>['role']): z.infer<typeof TeamSchema> {
  return { id: team.id, slug: team.slug, name: team.name, personal: team.personal, role, policy: storedPolicy(team), createdAt: team.createdAt.toISOString() };
}
