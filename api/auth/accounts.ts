import { readSettings } from '../admin/settings.ts';
import type { User } from '../db/generated/client.ts';
import { AppError, ConflictError, ForbiddenError, RateLimitedError, UnauthorizedError, ValidationError } from '../http/errors.ts';
import { hashToken, newId } from '../platform/ids.ts';
import type { RateRule } from '../ratelimit/limiter.ts';
import type { Services } from '../services.ts';
import { createTeam } from '../teams/team-service.ts';
import { checkPasswordPolicy, hashPassword, verifyAgainstDummy, verifyPassword } from './passwords.ts';
import { endOtherSessions } from './sessions.ts';
import { consumeUserToken, issueUserToken } from './user-tokens.ts';

/** Where the request came from, for rate limits and the audit log. */
export interface RequestMeta {
  ip: string | undefined;
  requestId: string | undefined;
}

/** Raised for a verification, reset or invitation token that is unknown, used or expired. */
export class InvalidTokenError extends AppError {
  constructor() {
    super(400, 'invalid_token', 'The link is invalid or has expired');
  }
}

const SIGNUP_LOCK = 7_301_001; // pg_advisory_xact_lock key: serializes the "first user becomes admin" decision

function accountRule(services: Services): RateRule {
  const r = services.config.rateLimits;
  return { limit: r.loginPerAccount, windowSeconds: r.loginWindowSeconds, lockoutSeconds: r.loginWindowSeconds, maxLockoutSeconds: 86_400 };
}

function ipRule(services: Services): RateRule {
  const r = services.config.rateLimits;
  return { limit: r.loginPerIp, windowSeconds: r.loginWindowSeconds, lockoutSeconds: r.loginWindowSeconds, maxLockoutSeconds: 86_400 };
}

async function limit(services: Services, key: string, rule: RateRule): Promise<void> {
  const decision = await services.rateLimiter.hit(key, rule, services.clock.now());
  if (!decision.allowed) throw new RateLimitedError(decision.retryAfterSeconds);
}

function assertPasswordPolicy(password: string, email: string, field = 'password'): void {
  const problem = checkPasswordPolicy(password, email);
  if (problem) throw new ValidationError(`Invalid body: ${field}: ${problem}`, [{ path: field, message: problem }]);
}

/** Mails a fresh verification link to `user`. */
export async function sendVerification(services: Services, user: Pick<User, 'id' | 'email'>): Promise<void> {
  const token = await issueUserToken(services, user.id, 'verify_email');
  const link = `${services.config.publicUrl}/verify-email/${token}`;
  await services.mailer.send({
    to: user.email,
    subject: 'Verify your email for Hangar',
    text: `Open this link within 24 hours to verify your email address:\n\n${link}\n\nIf you did not sign up, ignore this message.`,
    link,
  });
}

/**
 * Registers a user with a personal team. The first user ever becomes global admin and is verified; the
 * decision is serialized by a transaction-scoped advisory lock, so simultaneous first sign-ups cannot
 * both win. Others get a verification mail.
 */
export async function signUp(
  services: Services,
  input: { email: string; password: string; name?: string | undefined },
  meta: RequestMeta,
): Promise<{ user: User; teamId: string }> {
  assertPasswordPolicy(input.password, input.email);
  const signupRule = { ...ipRule(services), limit: ipRule(services).limit * 10 };
  await limit(services, `signup:ip:${meta.ip ?? 'unknown'}`, signupRule);
  const passwordHash = await hashPassword(input.password);
  const now = services.clock.now();
  const { user, teamId } = await services.db.$transaction(async (tx) => {
    await tx.$executeRaw`SELECT pg_advisory_xact_lock(${SIGNUP_LOCK})`;
    const first = (await tx.user.count()) === 0;
    if (!first && services.singleAccount) {
      throw new ForbiddenError('Sign-ups are closed: this Hangar runs without the deployment sandbox and serves only its first account', 'signups_closed_no_sandbox');
    }
    if (!first && !(await readSettings(tx)).signupsEnabled) throw new ForbiddenError('Sign-ups are closed', 'signups_closed');
    if (await tx.user.findUnique({ where: { email: input.email }, select: { id: true } })) {
      throw new ConflictError('An account with this email already exists', 'email_taken');
    }
    const created = await tx.user.create({
      data: {
        id: newId('usr'),
        email: input.email,
        passwordHash,
        name: input.name ?? null,
        globalRole: first ? 'admin' : 'user',
        emailVerifiedAt: first ? now : null,
        createdAt: now,
        updatedAt: now,
      },
    });
    const team = await createTeam(tx, { name: input.name ?? input.email.split('@')[0] ?? 'personal', ownerId: created.id, personal: true, now });
    return { user: created, teamId: team.id };
  });
  if (!user.emailVerifiedAt) await sendVerification(services, user);
  await services.audit.record({ action: 'auth.signup', resourceType: 'user', resourceId: user.id, actorUserId: user.id, teamId, ip: meta.ip, requestId: meta.requestId, data: { globalRole: user.globalRole } });
  return { user, teamId };
}

/**
 * Checks an email and password. Unknown emails run argon2 against a dummy hash, and every failure
 * (unknown, wrong password, disabled) answers the same 401, so neither the message nor the time tells
 * whether an account exists. Limited per IP and per account, with a growing lockout.
 */
export async function logIn(services: Services, input: { email: string; password: string }, meta: RequestMeta): Promise<User> {
  await limit(services, `login:ip:${meta.ip ?? 'unknown'}`, ipRule(services));
  const accountKey = `login:acct:${input.email}`;
  const locked = await services.rateLimiter.peek(accountKey, services.clock.now());
  if (!locked.allowed) throw new RateLimitedError(locked.retryAfterSeconds);
  const user = await services.db.user.findUnique({ where: { email: input.email } });
  const ok = user ? await verifyPassword(user.passwordHash, input.password) : await verifyAgainstDummy(input.password);
  if (!user || !ok || user.disabledAt) {
    await services.rateLimiter.hit(accountKey, accountRule(services), services.clock.now());
    await services.audit.record({ action: 'auth.login', resourceType: 'user', resourceId: user?.id ?? null, outcome: 'failure', ip: meta.ip, requestId: meta.requestId });
    throw new UnauthorizedError('Invalid email or password');
  }
  await services.rateLimiter.reset(accountKey);
  await services.audit.record({ action: 'auth.login', resourceType: 'user', resourceId: user.id, actorUserId: user.id, ip: meta.ip, requestId: meta.requestId });
  return user;
}

/** Marks the token's user verified; the token works once and only within 24 hours. */
export async function verifyEmail(services: Services, token: string, meta: RequestMeta): Promise<void> {
  const userId = await consumeUserToken(services, token, 'verify_email');
  if (!userId) throw new InvalidTokenError();
  await services.db.user.update({ where: { id: userId }, data: { emailVerifiedAt: services.clock.now() } });
  await services.audit.record({ action: 'auth.verify_email', resourceType: 'user', resourceId: userId, actorUserId: userId, ip: meta.ip, requestId: meta.requestId });
}

/**
 * Mails a reset link when the email belongs to an active account; answers the same either way. Limited
 * per IP and per account.
 */
export async function requestPasswordReset(services: Services, email: string, meta: RequestMeta): Promise<void> {
  await limit(services, `reset:ip:${meta.ip ?? 'unknown'}`, ipRule(services));
  await limit(services, `reset:acct:${email}`, accountRule(services));
  const user = await services.db.user.findUnique({ where: { email } });
  if (!user || user.disabledAt) return;
  const token = await issueUserToken(services, user.id, 'password_reset');
  const link = `${services.config.publicUrl}/reset-password/${token}`;
  await services.mailer.send({
    to: user.email,
    subject: 'Reset your Hangar password',
    text: `Open this link within 30 minutes to choose a new password:\n\n${link}\n\nIf you did not ask for this, ignore this message.`,
    link,
  });
  await services.audit.record({ action: 'auth.password_reset.request', resourceType: 'user', resourceId: user.id, ip: meta.ip, requestId: meta.requestId });
}

/** Sets a new password from a reset token (30 minutes, single use) and ends every session of the user. */
export async function confirmPasswordReset(services: Services, input: { token: string; password: string }, meta: RequestMeta): Promise<void> {
  // The policy is checked before the token is spent, so a refused password does not burn the link.
  const pending = await services.db.userToken.findUnique({ where: { tokenHash: hashToken(input.token) }, include: { user: { select: { email: true } } } });
  if (pending) assertPasswordPolicy(input.password, pending.user.email);
  const userId = await consumeUserToken(services, input.token, 'password_reset');
  if (!userId) throw new InvalidTokenError();
  const user = await services.db.user.findUniqueOrThrow({ where: { id: userId } });
  await services.db.user.update({ where: { id: userId }, data: { passwordHash: await hashPassword(input.password) } });
  await endOtherSessions(services, userId);
  await services.rateLimiter.reset(`login:acct:${user.email}`);
  await services.audit.record({ action: 'auth.password_reset', resourceType: 'user', resourceId: userId, actorUserId: userId, ip: meta.ip, requestId: meta.requestId });
}

/** Changes the caller's password after checking the current one; every other session ends. */
export async function changePassword(
  services: Services,
  input: { userId: string; currentPassword: string; newPassword: string; keepSessionId: string | undefined },
  meta: RequestMeta & { keyId?: string | undefined },
): Promise<void> {
  const user = await services.db.user.findUniqueOrThrow({ where: { id: input.userId } });
  if (!(await verifyPassword(user.passwordHash, input.currentPassword))) {
    await services.audit.record({ action: 'user.password.change', resourceType: 'user', resourceId: user.id, actorUserId: user.id, actorKeyId: meta.keyId, outcome: 'failure', ip: meta.ip, requestId: meta.requestId });
    throw new ForbiddenError('The current password is wrong', 'wrong_password');
  }
  assertPasswordPolicy(input.newPassword, user.email, 'newPassword');
  await services.db.user.update({ where: { id: user.id }, data: { passwordHash: await hashPassword(input.newPassword) } });
  await endOtherSessions(services, user.id, input.keepSessionId);
  await services.audit.record({ action: 'user.password.change', resourceType: 'user', resourceId: user.id, actorUserId: user.id, actorKeyId: meta.keyId, ip: meta.ip, requestId: meta.requestId });
}
