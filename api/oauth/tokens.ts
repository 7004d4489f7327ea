import { createHash } from 'node:crypto';
import type { Principal } from '../auth/principal.ts';
import { digestsEqual, hashToken, newId, newSecretToken } from '../platform/ids.ts';
import type { Services } from '../services.ts';
import { grantIsLive, revokeGrant, type GrantWithParties } from './grants.ts';

/** An OAuth error as RFC 6749 §5.2 words it: `{ error, error_description }`, 400 unless said otherwise. */
export class OAuthError extends Error {
  constructor(
    readonly error: 'invalid_request' | 'invalid_client' | 'invalid_grant' | 'unsupported_grant_type' | 'invalid_scope' | 'invalid_target' | 'invalid_client_metadata' | 'invalid_redirect_uri',
    readonly description: string,
    readonly status: 400 | 401 = 400,
  ) {
    super(description);
  }
}

export const ACCESS_PREFIX = 'hgo_';
export const REFRESH_PREFIX = 'hgor_';
const CODE_PREFIX = 'hgoc_';
export const ACCESS_TTL_SECONDS = 3_600;
const REFRESH_TTL_MS = 30 * 86_400_000;
const CODE_TTL_MS = 5 * 60_000;
const LAST_USED_EVERY_MS = 60_000;
const TOKEN_SHAPE = /^hgo[rc]?_[0-9a-z]{20,64}$/;

/** What the token endpoint answers (RFC 6749 §5.1). */
export interface TokenResponse {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
  scope: string;
  refresh_token?: string;
}

/** S256 of a PKCE verifier (RFC 7636 §4.2): base64url(SHA-256(ascii(verifier))). */
export function s256(verifier: string): string {
  return createHash('sha256').update(verifier, 'ascii').digest('base64url');
}

const GRANT_PARTIES = { user: true, deployment: true } as const;

/** Mints a single-use authorization code for a grant, bound to its redirect URI and PKCE challenge. */
export async function issueCode(services: Services, grantId: string, binding: { redirectUri: string; codeChallenge: string }): Promise<string> {
  const code = newSecretToken(CODE_PREFIX);
  const now = services.clock.now();
  await services.db.oAuthCode.create({
    data: { id: newId('tok'), grantId, codeHash: hashToken(code), redirectUri: binding.redirectUri, codeChallenge: binding.codeChallenge, createdAt: now, expiresAt: new Date(now.getTime() + CODE_TTL_MS) },
  });
  return code;
}

async function issueTokens(services: Services, grant: GrantWithParties): Promise<TokenResponse> {
  const now = services.clock.now();
  const access = newSecretToken(ACCESS_PREFIX);
  const rows = [{ id: newId('tok'), grantId: grant.id, kind: 'access', tokenHash: hashToken(access), createdAt: now, expiresAt: new Date(now.getTime() + ACCESS_TTL_SECONDS * 1000) }];
  let refresh: string | undefined;
  if (grant.scopes.includes('offline_access')) {
    refresh = newSecretToken(REFRESH_PREFIX);
    rows.push({ id: newId('tok'), grantId: grant.id, kind: 'refresh', tokenHash: hashToken(refresh), createdAt: now, expiresAt: new Date(now.getTime() + REFRESH_TTL_MS) });
  }
  await services.db.oAuthToken.createMany({ data: rows });
  return { access_token: access, token_type: 'Bearer', expires_in: ACCESS_TTL_SECONDS, scope: grant.scopes.join(' '), ...(refresh ? { refresh_token: refresh } : {}) };
}

/**
 * `grant_type=authorization_code`: the code works once, within 5 minutes, for the client, redirect URI,
 * PKCE verifier and resource it was issued for. A code presented twice revokes its grant (RFC 6749 §4.1.2).
 */
export async function exchangeCode(
  services: Services,
  input: { code: string; clientId: string; redirectUri: string; codeVerifier: string; resource: string },
): Promise<TokenResponse> {
  if (!TOKEN_SHAPE.test(input.code)) throw new OAuthError('invalid_grant', 'The authorization code is invalid');
  const digest = hashToken(input.code);
  const row = await services.db.oAuthCode.findUnique({ where: { codeHash: digest }, include: { grant: { include: GRANT_PARTIES } } });
  if (!row || !digestsEqual(row.codeHash, digest)) throw new OAuthError('invalid_grant', 'The authorization code is invalid');
  const now = services.clock.now();
  const claimed = await services.db.oAuthCode.updateMany({ where: { id: row.id, usedAt: null }, data: { usedAt: now } });
  if (claimed.count === 0) {
    await revokeGrant(services, row.grantId, 'code_reuse');
    throw new OAuthError('invalid_grant', 'The authorization code was already used; its grant is revoked');
  }
  if (row.expiresAt <= now) throw new OAuthError('invalid_grant', 'The authorization code has expired');
  if (row.grant.clientId !== input.clientId) throw new OAuthError('invalid_grant', 'The authorization code was issued to another client');
  if (row.redirectUri !== input.redirectUri) throw new OAuthError('invalid_grant', 'redirect_uri does not match the authorization request');
  if (!digestsEqual(Buffer.from(s256(input.codeVerifier)).toString('hex'), Buffer.from(row.codeChallenge).toString('hex'))) {
    throw new OAuthError('invalid_grant', 'The PKCE code_verifier does not match the code_challenge');
  }
  if (input.resource !== row.grant.resource) throw new OAuthError('invalid_target', 'resource does not match the authorization request');
  if (!(await grantIsLive(services, row.grant))) throw new OAuthError('invalid_grant', 'The grant is no longer valid');
  return issueTokens(services, row.grant);
}

/**
 * `grant_type=refresh_token`: rotation. Each refresh token works once and is replaced; one presented a
 * second time means it leaked, so its whole family (the grant) is revoked (OAuth 2.1 §4.3.1).
 */
export async function refreshTokens(
  services: Services,
  input: { refreshToken: string; clientId: string; resource: string | undefined; scope: string | undefined },
): Promise<TokenResponse> {
  if (!input.refreshToken.startsWith(REFRESH_PREFIX) || !TOKEN_SHAPE.test(input.refreshToken)) throw new OAuthError('invalid_grant', 'The refresh token is invalid');
  const digest = hashToken(input.refreshToken);
  const row = await services.db.oAuthToken.findUnique({ where: { tokenHash: digest }, include: { grant: { include: GRANT_PARTIES } } });
  if (!row || row.kind !== 'refresh' || !digestsEqual(row.tokenHash, digest)) throw new OAuthError('invalid_grant', 'The refresh token is invalid');
  if (row.grant.clientId !== input.clientId) throw new OAuthError('invalid_grant', 'The refresh token was issued to another client');
  const now = services.clock.now();
  const claimed = await services.db.oAuthToken.updateMany({ where: { id: row.id, usedAt: null }, data: { usedAt: now } });
  if (claimed.count === 0) {
    await revokeGrant(services, row.grantId, 'refresh_reuse');
    services.logger.warn({ grantId: row.grantId }, 'oauth refresh token reused; grant revoked');
    throw new OAuthError('invalid_grant', 'The refresh token was already used; every token of this grant is revoked');
  }
  if (row.expiresAt <= now) throw new OAuthError('invalid_grant', 'The refresh token has expired');
  if (input.resource !== undefined && input.resource !== row.grant.resource) throw new OAuthError('invalid_target', 'resource does not match the grant');
  if (input.scope !== undefined && input.scope.split(' ').some((s) => !row.grant.scopes.includes(s))) throw new OAuthError('invalid_scope', 'scope exceeds what was granted');
  if (!(await grantIsLive(services, row.grant))) throw new OAuthError('invalid_grant', 'The grant is no longer valid');
  return issueTokens(services, row.grant);
}

/** RFC 7009: revokes the grant behind an access or refresh token of `clientId`; unknown tokens are ignored. */
export async function revokeToken(services: Services, input: { token: string; clientId: string | undefined }): Promise<void> {
  if (!TOKEN_SHAPE.test(input.token)) return;
  const row = await services.db.oAuthToken.findUnique({ where: { tokenHash: hashToken(input.token) }, include: { grant: true } });
  if (!row) return;
  if (input.clientId !== undefined && input.clientId !== row.grant.clientId) return;
  await revokeGrant(services, row.grantId, 'client_revocation');
}

/**
 * Resolves an OAuth access token presented to `deploymentId`'s MCP endpoint: the principal, or undefined
 * when the token is unknown, expired, revoked, bound to another resource, or its grant no longer holds.
 * The principal can do nothing but MCP on that one deployment's team.
 */
export async function resolveAccessToken(services: Services, token: string, deploymentId: string | undefined): Promise<Principal | undefined> {
  if (!deploymentId || !token.startsWith(ACCESS_PREFIX) || !TOKEN_SHAPE.test(token)) return undefined;
  const digest = hashToken(token);
  const row = await services.db.oAuthToken.findUnique({ where: { tokenHash: digest }, include: { grant: { include: GRANT_PARTIES } } });
  if (!row || row.kind !== 'access' || !digestsEqual(row.tokenHash, digest)) return undefined;
  const now = services.clock.now();
  const { grant } = row;
  if (row.expiresAt <= now || grant.deploymentId !== deploymentId) return undefined;
  if (!(await grantIsLive(services, grant))) return undefined;
  if (!grant.lastUsedAt || now.getTime() - grant.lastUsedAt.getTime() >= LAST_USED_EVERY_MS) {
    await services.db.oAuthGrant.updateMany({ where: { id: grant.id }, data: { lastUsedAt: now } });
  }
  return {
    userId: grant.userId,
    email: grant.user.email,
    globalRole: grant.user.globalRole,
    emailVerified: grant.user.emailVerifiedAt !== null,
    via: 'oauth',
    sessionId: undefined,
    keyId: undefined,
    grantId: grant.id,
    scopes: new Set(['mcp']),
    teamId: grant.deployment.teamId,
  };
}
