import { roleAtLeast } from '../auth/principal.ts';
import { newId } from '../platform/ids.ts';
import type { Services } from '../services.ts';
import type { AuthorizeRequest } from './authorize-request.ts';
import { redirectTarget } from './authorize-request.ts';
import { issueCode } from './tokens.ts';

/** What the consent page names: the deployment and its team, as the signed-in user may see them. */
export interface ConsentTarget {
  deployment: { id: string; name: string };
  team: { id: string; name: string; slug: string };
}

/**
 * The deployment a request is for, when `userId` may call its MCP endpoint (at least `member` of its team,
 * and the deployment not deleted). A deployment of another team is undefined, exactly like a missing one.
 */
export async function loadConsentTarget(services: Services, userId: string, deploymentId: string): Promise<ConsentTarget | undefined> {
  const dep = await services.db.deployment.findUnique({
    where: { id: deploymentId },
    include: { team: { include: { memberships: { where: { userId }, select: { role: true } } } } },
  });
  if (!dep || dep.desiredState === 'deleted' || dep.state === 'deleting' || dep.state === 'deleted') return undefined;
  const role = dep.team.memberships[0]?.role;
  if (!role || !roleAtLeast(role, 'member')) return undefined;
  return { deployment: { id: dep.id, name: dep.name }, team: { id: dep.team.id, name: dep.team.name, slug: dep.team.slug } };
}

/**
 * The user allowed the request: a new grant (its own token family) and a code, and the redirect that
 * carries them back with `state` and `iss`. Audited in the deployment's team.
 */
export async function approveAuthorization(
  services: Services,
  request: AuthorizeRequest,
  user: { id: string },
  target: ConsentTarget,
  meta: { ip: string | undefined; requestId: string | undefined },
): Promise<string> {
  const grant = await services.db.oAuthGrant.create({
    data: {
      id: newId('ogr'),
      userId: user.id,
      deploymentId: target.deployment.id,
      clientId: request.client.id,
      clientName: request.client.name,
      scopes: request.scopes,
      resource: request.resource,
      createdAt: services.clock.now(),
    },
  });
  const code = await issueCode(services, grant.id, { redirectUri: request.redirectUri, codeChallenge: request.codeChallenge });
  await services.audit.record({
    action: 'oauth.grant',
    resourceType: 'deployment',
    resourceId: target.deployment.id,
    teamId: target.team.id,
    actorUserId: user.id,
    ip: meta.ip,
    requestId: meta.requestId,
    data: { grantId: grant.id, clientId: request.client.id.slice(0, 200), clientName: request.client.name, scopes: request.scopes },
  });
  return redirectTarget(services, request.redirectUri, { code }, request.state);
}

/** The user refused: back to the client with `error=access_denied` (RFC 6749 §4.1.2.1), `state` and `iss`. */
export function denyAuthorization(services: Services, request: AuthorizeRequest): string {
  return redirectTarget(services, request.redirectUri, { error: 'access_denied', error_description: 'The user denied the request' }, request.state);
}
