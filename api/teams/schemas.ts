import { z } from '@hono/zod-openapi';
import type { Team } from '../db/generated/client.ts';
import { TEAM_ROLES } from '../auth/principal.ts';

export const TeamSchema = z
  .object({
    id: z.string().openapi({ example: 'team_0123456789abcdef' }),
    slug: z.string().openapi({ example: 'acme' }),
    name: z.string().openapi({ example: 'Acme' }),
    personal: z.boolean(),
    role: z.enum(TEAM_ROLES).openapi({ description: 'The caller’s effective role in this team' }),
    createdAt: z.string(),
  })
  .openapi('Team');

export const TeamParams = z.object({
  team: z.string().max(64).openapi({ param: { name: 'team', in: 'path' }, description: 'Team id or slug', example: 'acme' }),
});

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

/** Shapes a team row with the caller's role. */
export function teamView(team: Team, role: z.infer<typeof TeamSchema>['role']): z.infer<typeof TeamSchema> {
  return { id: team.id, slug: team.slug, name: team.name, personal: team.personal, role, createdAt: team.createdAt.toISOString() };
}
