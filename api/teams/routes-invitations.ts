import { createRoute, z } from '@hono/zod-openapi';
import { auditActor } from '../audit/audit-context.ts';
import { authorized, requireAuth } from '../auth/permissions.ts';
import { EmailSchema, errorResponses, jsonBody, jsonContent } from '../auth/schemas.ts';
import type { App } from '../http/context.ts';
import { ForbiddenError, NotFoundError } from '../http/errors.ts';
import type { Invitation } from '../db/generated/client.ts';
import { acceptInvitation, inviteMember } from './invitations.ts';
import { TeamParams } from '../http/params.ts';

const InvitationSchema = z
  .object({
    id: z.string().openapi({ example: 'inv_0123456789abcdef' }),
    teamId: z.string(),
    email: z.string(),
    role: z.enum(['admin', 'member', 'viewer', 'owner']),
    expiresAt: z.string(),
    acceptedAt: z.string().nullable(),
    createdAt: z.string(),
  })
  .openapi('Invitation');

function invitationView(i: Invitation): z.infer<typeof InvitationSchema> {
  return { id: i.id, teamId: i.teamId, email: i.email, role: i.role, expiresAt: i.expiresAt.toISOString(), acceptedAt: i.acceptedAt?.toISOString() ?? null, createdAt: i.createdAt.toISOString() };
}

const list = authorized(
  createRoute({
    method: 'get', path: '/v1/teams/{team}/invitations', tags: ['invitations'], summary: 'Open invitations of a team',
    request: { params: TeamParams },
    responses: { 200: jsonContent(z.object({ data: z.array(InvitationSchema) }), 'Invitations'), ...errorResponses(401, 403, 404) },
  }),
  { access: 'team', role: 'admin', scope: 'read' },
);
const create = authorized(
  createRoute({
    method: 'post', path: '/v1/teams/{team}/invitations', tags: ['invitations'], summary: 'Invite someone by email (7 days, single use)',
    request: { params: TeamParams, body: jsonBody(z.object({ email: EmailSchema, role: z.enum(['admin', 'member', 'viewer']).openapi({ example: 'member' }) })) },
    responses: { 201: jsonContent(InvitationSchema, 'Invited'), ...errorResponses(400, 401, 403, 404, 409) },
  }),
  { access: 'team', role: 'admin', scope: 'write' },
);
const revoke = authorized(
  createRoute({
    method: 'delete', path: '/v1/teams/{team}/invitations/{id}', tags: ['invitations'], summary: 'Withdraw an invitation',
    request: { params: TeamParams.extend({ id: z.string().max(64).openapi({ param: { name: 'id', in: 'path' }, example: 'inv_0123456789abcdef' }) }) },
    responses: { 204: { description: 'Withdrawn' }, ...errorResponses(401, 403, 404) },
  }),
  { access: 'team', role: 'admin', scope: 'write' },
);
const accept = authorized(
  createRoute({
    method: 'post', path: '/v1/invitations/accept', tags: ['invitations'], summary: 'Join a team with an invitation addressed to the caller’s email',
    request: { body: jsonBody(z.object({ token: z.string().min(10).max(200).openapi({ example: 'hgi_0123456789abcdefghjkmnpqrstvwx' }) })) },
    responses: { 200: jsonContent(InvitationSchema, 'Joined'), ...errorResponses(400, 401, 403, 404, 409) },
  }),
  { access: 'signed_in', scope: 'write' },
);

/** Team invitations: list, create, withdraw, and accept. */
export function registerInvitationRoutes(app: App): void {
  app.openapi(list, async (c) => {
    const { team } = c.get('teamAccess');
    const services = c.get('services');
    const rows = await services.db.invitation.findMany({ where: { teamId: team.id, acceptedAt: null, expiresAt: { gt: services.clock.now() } }, orderBy: { createdAt: 'desc' } });
    return c.json({ data: rows.map(invitationView) }, 200);
  });
  app.openapi(create, async (c) => {
    const principal = requireAuth(c);
    const { team, role: actorRole } = c.get('teamAccess');
    const body = c.req.valid('json');
    const role = body.role === 'admin' && actorRole !== 'owner' ? null : body.role;
    if (!role) throw new ForbiddenError('Only the owner can invite admins', 'insufficient_role');
    const invitation = await inviteMember(c.get('services'), { teamId: team.id, teamName: team.name, email: body.email, role, invitedById: principal.userId });
    await c.get('services').audit.record({ ...auditActor(c), action: 'team.invitation.create', resourceType: 'invitation', resourceId: invitation.id, teamId: team.id, data: { email: body.email, role } });
    return c.json(invitationView(invitation), 201);
  });
  app.openapi(revoke, async (c) => {
    const { team } = c.get('teamAccess');
    const services = c.get('services');
    const { id } = c.req.valid('param');
    const result = await services.db.invitation.deleteMany({ where: { id, teamId: team.id, acceptedAt: null } });
    if (result.count === 0) throw new NotFoundError('Invitation');
    await services.audit.record({ ...auditActor(c), action: 'team.invitation.delete', resourceType: 'invitation', resourceId: id, teamId: team.id });
    return c.body(null, 204);
  });
  app.openapi(accept, async (c) => {
    const principal = requireAuth(c);
    const services = c.get('services');
    if (principal.teamId) throw new NotFoundError('Invitation');
    const invitation = await acceptInvitation(services, c.req.valid('json').token, { id: principal.userId, email: principal.email });
    await services.audit.record({ ...auditActor(c), action: 'team.member.join', resourceType: 'membership', resourceId: principal.userId, teamId: invitation.teamId, data: { role: invitation.role, invitationId: invitation.id } });
    return c.json(invitationView(invitation), 200);
  });
}
