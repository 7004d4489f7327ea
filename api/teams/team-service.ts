import { randomBytes } from 'node:crypto';
import type { Prisma, Team, TeamRole } from '../db/generated/client.ts';
import { ConflictError, NotFoundError } from '../http/errors.ts';
import { newId } from '../platform/ids.ts';
import type { Services } from '../services.ts';

type Tx = Prisma.TransactionClient;

/** A slug from free text: lower-case letters, digits and single dashes, 3..40 characters. */
export function slugify(text: string): string {
  const base = text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 32);
  return base.length >= 3 ? base : `team-${base}`.replace(/-+$/, '');
}

/**
 * Creates a team with `ownerId` as its one owner, inside the caller's transaction. Without an explicit
 * slug one is derived from the name plus a random suffix; an explicit slug that is taken is a 409.
 */
export async function createTeam(
  tx: Tx,
  input: { name: string; slug?: string; ownerId: string; personal: boolean; now: Date },
): Promise<Team> {
  const slug = input.slug ?? `${slugify(input.name)}-${randomBytes(3).toString('hex')}`;
  if (input.slug && (await tx.team.findUnique({ where: { slug }, select: { id: true } }))) {
    throw new ConflictError('That team slug is taken', 'slug_taken');
  }
  const team = await tx.team.create({
    data: { id: newId('team'), slug, name: input.name, personal: input.personal, createdAt: input.now, updatedAt: input.now },
  });
  await tx.membership.create({ data: { teamId: team.id, userId: input.ownerId, role: 'owner', createdAt: input.now } });
  return team;
}

/** True when the team still has deployments that hold (or may hold) a machine. */
export async function hasLiveDeployments(db: Tx | Services['db'], teamId: string): Promise<boolean> {
  const live = await db.deployment.count({ where: { teamId, state: { not: 'deleted' } } });
  return live > 0;
}

/** Moves ownership to a current member; the old owner becomes `admin`. A team keeps exactly one owner. */
export async function transferOwnership(services: Services, teamId: string, fromUserId: string, toUserId: string): Promise<void> {
  if (fromUserId === toUserId) throw new ConflictError('You already own this team', 'already_owner');
  await services.db.$transaction(async (tx) => {
    const target = await tx.membership.findUnique({ where: { teamId_userId: { teamId, userId: toUserId } } });
    if (!target) throw new NotFoundError('Member');
    const owner = await tx.membership.findFirst({ where: { teamId, role: 'owner' } });
    await tx.membership.update({ where: { teamId_userId: { teamId, userId: toUserId } }, data: { role: 'owner' } });
    if (owner) await tx.membership.update({ where: { teamId_userId: { teamId, userId: owner.userId } }, data: { role: 'admin' } });
  });
}

/**
 * Whether an actor with `actorRole` may grant, change or remove `targetRole`: owners any role but owner
 * (ownership moves only by transfer), admins only members and viewers.
 */
export function canManageRole(actorRole: TeamRole, targetRole: TeamRole): boolean {
  if (targetRole === 'owner') return false;
  if (actorRole === 'owner') return true;
  return actorRole === 'admin' && (targetRole === 'member' || targetRole === 'viewer');
}
