import type { Context } from 'hono';
import type { AppEnv } from '../http/context.ts';
import { postForm } from '../pages/forms.ts';
import { html, type Html } from '../pages/html.ts';
import { formActionSource, renderPage } from '../pages/kit.ts';
import { signInForm } from '../pages/sign-in.ts';
import { AUTHORIZE_FIELDS, type AuthorizeParams, type AuthorizeRequest } from './authorize-request.ts';
import type { ConsentTarget } from './consent.ts';
import { OAUTH_PATHS } from './urls.ts';

export const LOGIN_ACTION = `${OAUTH_PATHS.authorize}/login`;
export const CONSENT_ACTION = `${OAUTH_PATHS.authorize}/consent`;

/** The authorization request, carried through each form as hidden fields (no server-side state). */
function hiddenParams(params: AuthorizeParams): Html {
  return html`${AUTHORIZE_FIELDS.map((name) => (params[name] !== undefined ? html`<input type="hidden" name="${name}" value="${params[name]}">` : ''))}`;
}

function clientLine(request: AuthorizeRequest): Html {
  return html`<strong>${request.client.name}</strong> <span class="meta">(${request.client.host})</span>`;
}

/** The sign-in form of the authorization page: email, password, one submit button. */
export function renderLoginPage(c: Context<AppEnv>, request: AuthorizeRequest, options: { email?: string; errors?: Record<string, string>; status?: 200 | 400 | 401 } = {}): Response {
  return renderPage(c, {
    title: 'Sign in to Hangar',
    status: options.status ?? 200,
    body: html`<p>${clientLine(request)} wants to use one of your Hangar deployments. Sign in to continue.</p>
${signInForm(c, { action: LOGIN_ACTION, email: options.email, errors: options.errors, extra: hiddenParams(request.params) })}`,
  });
}

/**
 * The consent page: names the client (name and host), the deployment and its team, and what it may do.
 * Its CSP lets the form's POST redirect to the client's redirect URI (Chromium checks form-action there).
 */
export function renderConsentPage(c: Context<AppEnv>, request: AuthorizeRequest, target: ConsentTarget, email: string): Response {
  const offline = request.scopes.includes('offline_access');
  return renderPage(c, {
    title: 'Allow access to a deployment?',
    formAction: [formActionSource(request.redirectUri)],
    body: html`<p>${clientLine(request)} asks to call the MCP tools of</p>
<dl class="facts">
<dt>Deployment</dt><dd><strong>${target.deployment.name}</strong> <span class="meta">(${target.deployment.id})</span></dd>
<dt>Team</dt><dd><strong>${target.team.name}</strong> <span class="meta">(${target.team.slug})</span></dd>
<dt>Signed in as</dt><dd>${email}</dd>
</dl>
<p>It can use this deployment's MCP endpoint as you, and nothing else in Hangar${offline ? ', and stay signed in until you revoke it (hangar grants)' : ' for up to an hour'}. After you allow, you are sent back to <span class="meta">${new URL(request.redirectUri).host || request.redirectUri}</span>.</p>
${postForm(c, {
  action: CONSENT_ACTION,
  content: hiddenParams(request.params),
  buttons: [
    { label: 'Allow', name: 'decision', value: 'allow' },
    { label: 'Deny', name: 'decision', value: 'deny', secondary: true },
  ],
})}`,
  });
}
