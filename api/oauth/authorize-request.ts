import { z } from 'zod';
import type { Services } from '../services.ts';
import { resolveClient, type OAuthClientView } from './clients.ts';
import { DEPLOYMENT_ID_SHAPE } from './metadata-routes.ts';
import { issuerOf, mcpResourceUrl, OAUTH_SCOPES } from './urls.ts';

/** The parameters of an authorization request (RFC 6749 §4.1.1, RFC 7636, RFC 8707), carried by every form of the flow. */
export const AUTHORIZE_FIELDS = ['response_type', 'client_id', 'redirect_uri', 'scope', 'state', 'code_challenge', 'code_challenge_method', 'resource'] as const;
export type AuthorizeParams = Partial<Record<(typeof AUTHORIZE_FIELDS)[number], string>>;

const ParamsSchema = z.object(Object.fromEntries(AUTHORIZE_FIELDS.map((f) => [f, z.string().max(2000).optional()])) as Record<(typeof AUTHORIZE_FIELDS)[number], z.ZodOptional<z.ZodString>>);

/** A validated request: who asks, where the answer goes, and for which deployment. */
export interface AuthorizeRequest {
  params: AuthorizeParams;
  client: OAuthClientView;
  redirectUri: string;
  state: string | undefined;
  scopes: string[];
  codeChallenge: string;
  resource: string;
  deploymentId: string;
}

/**
 * The three outcomes of checking a request: `fatal` (the client or its redirect URI cannot be trusted, so
 * the user sees Hangar's own error page and nothing is redirected, RFC 6749 §4.1.2.1), `redirect` (an
 * error sent back to the client), or `ok`.
 */
export type AuthorizeCheck =
  | { kind: 'fatal'; message: string }
  | { kind: 'redirect'; redirectUri: string; error: string; description: string; state: string | undefined }
  | { kind: 'ok'; request: AuthorizeRequest };

/** Picks the flow's fields out of a query or form; anything else is ignored. */
export function pickAuthorizeParams(source: Record<string, string | File | undefined>): AuthorizeParams {
  const out: AuthorizeParams = {};
  for (const field of AUTHORIZE_FIELDS) {
    const value = source[field];
    if (typeof value === 'string') out[field] = value;
  }
  return out;
}

/** The deployment id a resource names, when it is exactly one of this Hangar's MCP URLs. */
export function deploymentOfResource(services: Services, resource: string): string | undefined {
  const prefix = `${services.config.publicUrl}/v1/deployments/`;
  if (!resource.startsWith(prefix) || !resource.endsWith('/mcp')) return undefined;
  const id = resource.slice(prefix.length, -'/mcp'.length);
  return DEPLOYMENT_ID_SHAPE.test(id) && mcpResourceUrl(services.config, id) === resource ? id : undefined;
}

/** Checks an authorization request in the order RFC 6749 prescribes: client and redirect URI first. */
export async function checkAuthorizeRequest(services: Services, raw: AuthorizeParams): Promise<AuthorizeCheck> {
  const parsed = ParamsSchema.safeParse(raw);
  if (!parsed.success) return { kind: 'fatal', message: 'The authorization request has over-long parameters' };
  const p = parsed.data;
  if (!p.client_id) return { kind: 'fatal', message: 'The authorization request names no client_id' };
  const resolved = await resolveClient(services, p.client_id);
  if (!resolved.ok) return { kind: 'fatal', message: resolved.reason };
  const client = resolved.client;
  if (!p.redirect_uri) return { kind: 'fatal', message: 'The authorization request names no redirect_uri' };
  if (!client.redirectUris.includes(p.redirect_uri)) return { kind: 'fatal', message: 'The redirect_uri is not one the client registered (it must match exactly)' };
  const fail = (error: string, description: string): AuthorizeCheck => ({ kind: 'redirect', redirectUri: p.redirect_uri!, error, description, state: p.state });
  if (p.response_type !== 'code') return fail('unsupported_response_type', 'Only response_type=code is supported');
  if (!p.code_challenge) return fail('invalid_request', 'PKCE is required: send code_challenge with code_challenge_method=S256');
  if (p.code_challenge_method !== 'S256') return fail('invalid_request', 'Only the S256 PKCE method is supported; plain is refused');
  if (!/^[A-Za-z0-9_-]{43}$/.test(p.code_challenge)) return fail('invalid_request', 'code_challenge must be a base64url SHA-256 (43 characters)');
  const scopes = (p.scope ?? 'mcp').split(' ').filter(Boolean);
  if (scopes.some((s) => !(OAUTH_SCOPES as readonly string[]).includes(s))) return fail('invalid_scope', `Supported scopes: ${OAUTH_SCOPES.join(' ')}`);
  if (!scopes.includes('mcp')) scopes.unshift('mcp');
  if (!p.resource) return fail('invalid_target', 'resource (RFC 8707) is required: the MCP URL of the deployment');
  const deploymentId = deploymentOfResource(services, p.resource);
  if (!deploymentId) return fail('invalid_target', 'resource is not the MCP URL of a deployment on this server');
  return {
    kind: 'ok',
    request: { params: raw, client, redirectUri: p.redirect_uri, state: p.state, scopes: [...new Set(scopes)], codeChallenge: p.code_challenge, resource: p.resource, deploymentId },
  };
}

/** The client's redirect URI with `params`, the RFC 9207 `iss` and the echoed `state` added to its query. */
export function redirectTarget(services: Services, redirectUri: string, params: Record<string, string>, state: string | undefined): string {
  const url = new URL(redirectUri);
  for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
  if (state !== undefined) url.searchParams.set('state', state);
  url.searchParams.set('iss', issuerOf(services.config));
  return url.toString();
}
