import type { Config } from '../config/config.ts';

/**
 * The URLs of Hangar's OAuth 2.1 authorization server and of the protected resources (one per deployment's
 * MCP endpoint). All derive from HANGAR_PUBLIC_URL, so what the metadata names is what clients reach.
 */
export const OAUTH_PATHS = {
  authorizationServerMetadata: '/.well-known/oauth-authorization-server',
  protectedResourcePrefix: '/.well-known/oauth-protected-resource',
  authorize: '/oauth/authorize',
  token: '/oauth/token',
  register: '/oauth/register',
  revoke: '/oauth/revoke',
} as const;

/** The scope an MCP client asks for; `offline_access` adds a refresh token. */
export const MCP_SCOPE = 'mcp';
export const OAUTH_SCOPES = [MCP_SCOPE, 'offline_access'] as const;

/** Hangar itself is the issuer (RFC 8414 `issuer`, RFC 9207 `iss`). */
export function issuerOf(config: Pick<Config, 'publicUrl'>): string {
  return config.publicUrl;
}

/** The RFC 8707 resource indicator of a deployment: its MCP URL, the audience of the tokens issued for it. */
export function mcpResourceUrl(config: Pick<Config, 'publicUrl'>, deploymentId: string): string {
  return `${config.publicUrl}/v1/deployments/${deploymentId}/mcp`;
}

/** RFC 9728 §3.1: the metadata of a resource lives at the well-known prefix followed by the resource's path. */
export function resourceMetadataUrl(config: Pick<Config, 'publicUrl'>, deploymentId: string): string {
  return `${config.publicUrl}${OAUTH_PATHS.protectedResourcePrefix}/v1/deployments/${deploymentId}/mcp`;
}

/** The `WWW-Authenticate` challenge of a 401 from a deployment's MCP endpoint (MCP authorization spec). */
export function bearerChallenge(config: Pick<Config, 'publicUrl'>, deploymentId: string, error?: 'invalid_token'): string {
  const parts = [`resource_metadata="${resourceMetadataUrl(config, deploymentId)}"`, `scope="${MCP_SCOPE}"`];
  if (error) parts.push(`error="${error}"`);
  return `Bearer ${parts.join(', ')}`;
}
