import { ConflictError } from '../http/errors.ts';
import type { Services } from '../services.ts';
import { hasLiveDeployments } from '../teams/team-service.ts';

/**
 * Everything Hangar holds about one user, as JSON: profile, memberships, keys and sessions (metadata only),
 * personal credential names (values never; only a masked hint of the name's key id), and the audit entries
 * they caused. No hash, token or secret value is included.
 */
export async function exportUserData(services: Services, userId: string) {
  const { db } = services;
  const user = await db.user.findUniqueOrThrow({ where: { id: userId } });
  const [memberships, keys, sessions, credentials, audit] = await Promise.all([
    db.membership.findMany({ where: { userId }, include: { team: { select: { id: true, slug: true, name: true, personal: true } } } }),
    db.apiKey.findMany({ where: { userId } }),
    db.session.findMany({ where: { userId } }),
    db.credential.findMany({ where: { userId, scope: 'user' }, select: { id: true, name: true, keyId: true, createdAt: true, updatedAt: true } }),
    db.auditEntry.findMany({ where: { actorUserId: userId }, orderBy: { id: 'asc' }, take: 10_000 }),
  ]);
  return {
    exportedAt: services.clock.now().toISOString(),
    user: {
      id: user.id,
      email: user.email,
      name: user.name,
      globalRole: user.globalRole,
      emailVerifiedAt: user.emailVerifiedAt?.toISOString() ?? null,
      createdAt: user.createdAt.toISOString(),
    },
    memberships: memberships.map((m) => ({ teamId: m.teamId, slug: m.team.slug, name: m.team.name, personal: m.team.personal, role: m.role, since: m.createdAt.toISOString() })),
    apiKeys: keys.map((k) => ({ id: k.id, name: k.name, prefix: k.prefix, scopes: k.scopes, teamId: k.teamId, createdAt: k.createdAt.toISOString(), expiresAt: k.expiresAt?.toISOString() ?? null, revokedAt: k.revokedAt?.toISOString() ?? null })),
    sessions: sessions.map((s) => ({ id: s.id, ip: s.ip, userAgent: s.userAgent, createdAt: s.createdAt.toISOString(), expiresAt: s.expiresAt.toISOString() })),
    credentials: credentials.map((c) => ({ id: c.id, name: c.name, value: '*****', createdAt: c.createdAt.toISOString(), updatedAt: c.updatedAt.toISOString() })),
    auditEntries: audit.map((a) => ({ action: a.action, resourceType: a.resourceType, resourceId: a.resourceId, teamId: a.teamId, outcome: a.outcome, ip: a.ip, at: a.createdAt.toISOString() })),
  };
}

/**
 * Deletes a user. Policy: refused (409 `owns_shared_team`) while they own a team that has other members
 * (they must transfer ownership first); refused (409 `team_has_deployments`) while a team they own still
 * has deployments (delete those first, so no machine is orphaned). Otherwise the teams they own (their
 * personal team, and any team of which they are the only member) are deleted with the user; sessions,
 * keys, tokens and memberships go with the user row. Audit entries stay (they name ids, not people).
 */
export async function deleteUser(services: Services, userId: string): Promise<{ deletedTeamIds: string[] }> {
  return services.db.$transaction(async (tx) => {
    const owned = await tx.membership.findMany({ where: { userId, role: 'owner' }, include: { team: { include: { _count: { select: { memberships: true } } } } } });
    const shared = owned.filter((m) => m.team._count.memberships > 1);
    if (shared.length > 0) {
      throw new ConflictError(`Transfer ownership of ${shared.map((m) => m.team.slug).join(', ')} first`, 'owns_shared_team');
    }
    for (const m of owned) {
      if (await hasLiveDeployments(tx, m.teamId)) throw new ConflictError(`Delete the deployments of ${m.team.slug} first`, 'team_has_deployments');
    }
    const teamIds = owned.map((m) => m.teamId);
    await tx.team.deleteMany({ where: { id: { in: teamIds } } });
    await tx.user.delete({ where: { id: userId } });
    return { deletedTeamIds: teamIds };
  });
}
