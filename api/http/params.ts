import { z } from '@hono/zod-openapi';

/** The `{team}` path parameter every team-scoped route takes: a team id or its slug. */
export const TeamParams = z.object({
  team: z.string().min(1).max(64).openapi({ param: { name: 'team', in: 'path' }, description: 'Team id or slug', example: 'team_0123456789abcdef' }),
});
