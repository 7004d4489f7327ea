import type { Context } from 'hono';
import { guard } from '../auth/permissions.ts';
import { requestMeta } from '../auth/request-meta.ts';
import type { App, AppEnv } from '../http/context.ts';
import { AppError } from '../http/errors.ts';
import { readForm } from '../pages/csrf.ts';
import { pageRoute } from '../pages/kit.ts';
import { SignInFormSchema, signInWithForm } from '../pages/sign-in.ts';
import { z } from '@hono/zod-openapi';
import { checkAuthorizeRequest, pickAuthorizeParams, redirectTarget, type AuthorizeParams, type AuthorizeRequest } from './authorize-request.ts';
import { approveAuthorization, denyAuthorization, loadConsentTarget } from './consent.ts';
import { CONSENT_ACTION, LOGIN_ACTION, renderConsentPage, renderLoginPage } from './pages.ts';
import { OAUTH_PATHS } from './urls.ts';

const ConsentFormSchema = z.object({ decision: z.enum(['allow', 'deny']) });

/** Checks the request; `fatal` problems become Hangar's own error page, others go back to the client. */
async function checked(c: Context<AppEnv>, params: AuthorizeParams, method: 'GET' | 'POST'): Promise<AuthorizeRequest | Response> {
  const services = c.get('services');
  const check = await checkAuthorizeRequest(services, params);
  // Thrown inside pageRoute: an error page naming its code and the request id.
  if (check.kind === 'fatal') throw new AppError(400, 'invalid_authorization_request', check.message);
  if (check.kind === 'redirect') {
    return c.redirect(redirectTarget(services, check.redirectUri, { error: check.error, error_description: check.description }, check.state), method === 'GET' ? 302 : 303);
  }
  return check.request;
}

function signedInUser(c: Context<AppEnv>): { id: string; email: string } | undefined {
  const p = c.get('principal');
  return p && p.via === 'session' ? { id: p.userId, email: p.email } : undefined;
}

/** Consent page for a signed-in user, or the redirect with `invalid_target` when the deployment is not theirs. */
async function consentOrRefusal(c: Context<AppEnv>, request: AuthorizeRequest, user: { id: string; email: string }): Promise<Response> {
  const services = c.get('services');
  const target = await loadConsentTarget(services, user.id, request.deploymentId);
  if (!target) {
    return c.redirect(redirectTarget(services, request.redirectUri, { error: 'invalid_target', error_description: 'No such deployment, or you cannot use it' }, request.state), 302);
  }
  return renderConsentPage(c, request, target, user.email);
}

/**
 * `GET /oauth/authorize` (the authorization page), `POST /oauth/authorize/login` (its sign-in form) and
 * `POST /oauth/authorize/consent` (Allow / Deny). Server-rendered, no scripts; both forms carry a CSRF
 * token and re-check the whole request, which travels in hidden fields rather than server state.
 */
export function registerOAuthAuthorize(app: App): void {
  app.get(
    OAUTH_PATHS.authorize,
    guard({ access: 'public' }),
    pageRoute(async (c) => {
      const request = await checked(c, pickAuthorizeParams(c.req.query()), 'GET');
      if (request instanceof Response) return request;
      const user = signedInUser(c);
      return user ? consentOrRefusal(c, request, user) : renderLoginPage(c, request);
    }),
  );

  app.post(
    LOGIN_ACTION,
    guard({ access: 'public' }),
    pageRoute(async (c) => {
      const body = await c.req.parseBody();
      const params = pickAuthorizeParams(body);
      // The request is checked first (it changes nothing), so a malformed one gets its error page; the
      // CSRF token is checked before anything happens.
      const request = await checked(c, params, 'POST');
      if (request instanceof Response) return request;
      const form = await readForm(c, SignInFormSchema);
      if (!form.ok) return renderLoginPage(c, request, { errors: form.errors, status: 400 });
      // The JSON login's limits, lockout (429 error page) and audit.
      const signedIn = await signInWithForm(c, form.data);
      if (!signedIn.ok) return renderLoginPage(c, request, { email: form.data.email, errors: { password: signedIn.error }, status: 401 });
      const query = new URLSearchParams(Object.entries(params).filter((e): e is [string, string] => e[1] !== undefined));
      return c.redirect(`${OAUTH_PATHS.authorize}?${query.toString()}`, 303);
    }),
  );

  app.post(
    CONSENT_ACTION,
    guard({ access: 'public' }),
    pageRoute(async (c) => {
      const services = c.get('services');
      const params = pickAuthorizeParams(await c.req.parseBody());
      const request = await checked(c, params, 'POST');
      if (request instanceof Response) return request;
      const form = await readForm(c, ConsentFormSchema);
      const user = signedInUser(c);
      if (!user) return renderLoginPage(c, request, { errors: { form: 'Your session ended; sign in again' }, status: 401 });
      if (!form.ok) throw new AppError(400, 'invalid_request', 'Choose Allow or Deny.');
      if (form.data.decision === 'deny') return c.redirect(denyAuthorization(services, request), 303);
      const target = await loadConsentTarget(services, user.id, request.deploymentId);
      if (!target) {
        return c.redirect(redirectTarget(services, request.redirectUri, { error: 'invalid_target', error_description: 'No such deployment, or you cannot use it' }, request.state), 303);
      }
      return c.redirect(await approveAuthorization(services, request, user, target, requestMeta(c)), 303);
    }),
  );
}
