import type { Invitation, TeamRole } from '../db/generated/client.ts';
import { ConflictError, NotFoundError } from '../http/errors.ts';
import { mailLink } from '../mail/links.ts';
import { hashToken, newId, newSecretToken } from '../platform/ids.ts';
import type { Services } from '../services.ts';

/** Invitations are valid for 7 days and work once. */
export const INVITATION_TTL_MS = 7 * 86_400_000;

/** Creates an invitation and mails its link; the token is stored only as its hash. */
export async function inviteMember(
  services: Services,
  input: { teamId: string; teamName: string; email: string; role: Exclude<TeamRole, 'owner'>; invitedById: string },
): Promise<Invitation> {
  const { db, clock, config, mailer } = services;
  const existing = await db.membership.findFirst({ where: { teamId: input.teamId, user: { email: input.email } } });
  if (existing) throw new ConflictError('That person is already a member', 'already_member');
  const now = clock.now();
  const token = newSecretToken('hgi_');
  const invitation = await db.invitation.create({
    data: {
      id: newId('inv'), teamId: input.teamId, email: input.email, role: input.role, tokenHash: hashToken(token),
      invitedById: input.invitedById, createdAt: now, expiresAt: new Date(now.getTime() + INVITATION_TTL_MS),
    },
  });
  const link = mailLink(config.publicUrl, 'invitation', token);
  await mailer.send({
    to: input.email,
    subject: `You are invited to ${input.teamName} on Hangar`,
    text: `You have been invited to join ${input.teamName} as ${input.role}. Sign in with this email address and open, within 7 days:\n\n${link}\n`,
    link,
  });
  return invitation;
}

/**
 * Accepts an invitation for the signed-in user. The invitation must be unused, unexpired and addressed to
 * the user's email; anything else is 404, so a token tells nothing about other people's invitations.
 */
export async function acceptInvitation(services: Services, token: string, user: { id: string; email: string }): Promise<Invitation> {
  const now = services.clock.now();
  return services.db.$transaction(async (tx) => {
    const spent = await tx.invitation.updateMany({
      where: { tokenHash: hashToken(token), email: user.email, acceptedAt: null, expiresAt: { gt: now } },
      data: { acceptedAt: now },
    });
    if (spent.count !== 1) throw new NotFoundError('Invitation');
    const invitation = await tx.invitation.findUniqueOrThrow({ where: { tokenHash: hashToken(token) } });
    const member = await tx.membership.findUnique({ where: { teamId_userId: { teamId: invitation.teamId, userId: user.id } } });
    if (member) throw new ConflictError('You are already a member', 'already_member');
    await tx.membership.create({ data: { teamId: invitation.teamId, userId: user.id, role: invitation.role, createdAt: now } });
    return invitation;
  });
}
