/**
 * Who is calling. Set by the authentication middleware on every authenticated request and read by every
 * permission check; handlers never look at cookies or headers themselves.
 */

export const SCOPES = ['read', 'write', 'mcp', 'admin'] as const;
export type Scope = (typeof SCOPES)[number];

export const TEAM_ROLES = ['viewer', 'member', 'admin', 'owner'] as const;
export type TeamRole = (typeof TEAM_ROLES)[number];

export interface Principal {
  userId: string;
  email: string;
  globalRole: 'admin' | 'user';
  emailVerified: boolean;
  /** How the caller proved who they are. */
  via: 'session' | 'api_key' | 'oauth';
  sessionId: string | undefined;
  keyId: string | undefined;
  /** An OAuth access token's grant (`via: 'oauth'`): it acts only on that grant's deployment, for MCP. */
  grantId?: string;
  /** What the credential may do. Sessions carry every scope; keys carry what they were created with. */
  scopes: ReadonlySet<Scope>;
  /** An API key narrowed to one team acts only there. */
  teamId: string | undefined;
}

/** True when `role` is at least `minimum` in the order viewer < member < admin < owner. */
export function roleAtLeast(role: TeamRole, minimum: TeamRole): boolean {
  return TEAM_ROLES.indexOf(role) >= TEAM_ROLES.indexOf(minimum);
}
