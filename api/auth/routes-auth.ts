import { createRoute, z } from '@hono/zod-openapi';
import type { App } from '../http/context.ts';
import { RateLimitedError } from '../http/errors.ts';
import { changePassword, confirmPasswordReset, logIn, requestPasswordReset, sendVerification, signUp, verifyEmail } from './accounts.ts';
import { PasswordSchema } from './passwords.ts';
import { authorized, requireAuth } from './permissions.ts';
import { requestMeta, userAgent } from './request-meta.ts';
import { EmailSchema, errorResponses, jsonBody, jsonContent, StatusSchema, UserSchema, userView } from './schemas.ts';
import { clearSessionCookie, createSession, setSessionCookie } from './sessions.ts';

const TokenSchema = z.string().min(10).max(200).openapi({ description: 'The token from the emailed link', example: 'hgv_0123456789abcdefghjkmnpqrstvwx' });
const SignupSchema = z.object({ email: EmailSchema, password: PasswordSchema, name: z.string().trim().min(1).max(100).optional().openapi({ example: 'Ada' }) });
const LoginSchema = z.object({ email: EmailSchema, password: z.string().min(1).max(128).openapi({ example: 'correct horse battery staple' }) });
const SignupResultSchema = z.object({ user: UserSchema, teamId: z.string().openapi({ example: 'team_0123456789abcdef' }) }).openapi('SignupResult');
const LoginResultSchema = z.object({ user: UserSchema, expiresAt: z.string() }).openapi('LoginResult');
const PasswordChangeSchema = z.object({ currentPassword: z.string().min(1).max(128), newPassword: PasswordSchema });

const signup = authorized(
  createRoute({
    method: 'post', path: '/v1/auth/signup', tags: ['auth'], summary: 'Create an account (and a personal team); starts a session',
    request: { body: jsonBody(SignupSchema) },
    responses: { 201: jsonContent(SignupResultSchema, 'Account created; session cookie set'), ...errorResponses(400, 403, 409, 429) },
  }),
  { access: 'public' },
);
const login = authorized(
  createRoute({
    method: 'post', path: '/v1/auth/login', tags: ['auth'], summary: 'Sign in with email and password; sets the session cookie',
    request: { body: jsonBody(LoginSchema) },
    responses: { 200: jsonContent(LoginResultSchema, 'Signed in'), ...errorResponses(400, 401, 403, 429) },
  }),
  { access: 'public' },
);
const logout = authorized(
  createRoute({
    method: 'post', path: '/v1/auth/logout', tags: ['auth'], summary: 'End the current session at once',
    responses: { 204: { description: 'Signed out' }, ...errorResponses(401, 403) },
  }),
  { access: 'signed_in', scope: 'read' },
);
const verify = authorized(
  createRoute({
    method: 'post', path: '/v1/auth/verify-email', tags: ['auth'], summary: 'Verify an email address with the mailed token (24 h, single use)',
    request: { body: jsonBody(z.object({ token: TokenSchema })) },
    responses: { 200: jsonContent(StatusSchema, 'Verified'), ...errorResponses(400) },
  }),
  { access: 'public' },
);
const resend = authorized(
  createRoute({
    method: 'post', path: '/v1/auth/resend-verification', tags: ['auth'], summary: 'Mail a new verification link to the caller',
    responses: { 202: jsonContent(StatusSchema, 'Sent, or already verified'), ...errorResponses(401, 403, 429) },
  }),
  { access: 'signed_in', scope: 'write' },
);
const resetRequest = authorized(
  createRoute({
    method: 'post', path: '/v1/auth/password-reset', tags: ['auth'], summary: 'Mail a password-reset link (same answer whether or not the account exists)',
    request: { body: jsonBody(z.object({ email: EmailSchema })) },
    responses: { 202: jsonContent(StatusSchema, 'Accepted'), ...errorResponses(400, 429) },
  }),
  { access: 'public' },
);
const resetConfirm = authorized(
  createRoute({
    method: 'post', path: '/v1/auth/password-reset/confirm', tags: ['auth'], summary: 'Set a new password with a reset token (30 min, single use); ends every session',
    request: { body: jsonBody(z.object({ token: TokenSchema, password: PasswordSchema })) },
    responses: { 200: jsonContent(StatusSchema, 'Password changed'), ...errorResponses(400) },
  }),
  { access: 'public' },
);
const password = authorized(
  createRoute({
    method: 'post', path: '/v1/me/password', tags: ['me'], summary: 'Change the password; every other session ends',
    request: { body: jsonBody(PasswordChangeSchema) },
    responses: { 200: jsonContent(StatusSchema, 'Password changed'), ...errorResponses(400, 401, 403) },
  }),
  { access: 'signed_in', scope: 'admin' },
);

/** Sign-up, login, logout, email verification and password reset/change. */
export function registerAuthRoutes(app: App): void {
  app.openapi(signup, async (c) => {
    const services = c.get('services');
    const meta = requestMeta(c);
    const { user, teamId } = await signUp(services, c.req.valid('json'), meta);
    const session = await createSession(services, user.id, { ip: meta.ip, userAgent: userAgent(c) });
    setSessionCookie(c, session.token, session.expiresAt);
    return c.json({ user: userView(user), teamId }, 201);
  });
  app.openapi(login, async (c) => {
    const services = c.get('services');
    const meta = requestMeta(c);
    const user = await logIn(services, c.req.valid('json'), meta);
    const session = await createSession(services, user.id, { ip: meta.ip, userAgent: userAgent(c) });
    setSessionCookie(c, session.token, session.expiresAt);
    return c.json({ user: userView(user), expiresAt: session.expiresAt.toISOString() }, 200);
  });
  app.openapi(logout, async (c) => {
    const principal = requireAuth(c);
    const services = c.get('services');
    if (principal.sessionId) await services.db.session.deleteMany({ where: { id: principal.sessionId } });
    clearSessionCookie(c);
    await services.audit.record({ action: 'auth.logout', resourceType: 'session', resourceId: principal.sessionId ?? null, actorUserId: principal.userId, actorKeyId: principal.keyId ?? null, ...requestMeta(c) });
    return c.body(null, 204);
  });
  app.openapi(verify, async (c) => {
    await verifyEmail(c.get('services'), c.req.valid('json').token, requestMeta(c));
    return c.json({ status: 'verified' }, 200);
  });
  app.openapi(resend, async (c) => {
    const principal = requireAuth(c);
    const services = c.get('services');
    if (principal.emailVerified) return c.json({ status: 'already_verified' }, 202);
    const rule = { limit: 5, windowSeconds: 3600 };
    const decision = await services.rateLimiter.hit(`verify:acct:${principal.userId}`, rule, services.clock.now());
    if (!decision.allowed) throw new RateLimitedError(decision.retryAfterSeconds);
    await sendVerification(services, { id: principal.userId, email: principal.email });
    return c.json({ status: 'sent' }, 202);
  });
  app.openapi(resetRequest, async (c) => {
    await requestPasswordReset(c.get('services'), c.req.valid('json').email, requestMeta(c));
    return c.json({ status: 'accepted' }, 202);
  });
  app.openapi(resetConfirm, async (c) => {
    await confirmPasswordReset(c.get('services'), c.req.valid('json'), requestMeta(c));
    return c.json({ status: 'password_changed' }, 200);
  });
  app.openapi(password, async (c) => {
    const principal = requireAuth(c);
    const body = c.req.valid('json');
    await changePassword(
      c.get('services'),
      { userId: principal.userId, currentPassword: body.currentPassword, newPassword: body.newPassword, keepSessionId: principal.sessionId },
      { ...requestMeta(c), keyId: principal.keyId },
    );
    return c.json({ status: 'password_changed' }, 200);
  });
}
