import type { App } from '../http/context.ts';
import { registerOAuthMetadata } from './metadata-routes.ts';
import { registerOAuthAuthorize } from './routes-authorize.ts';
import { registerListGrants } from './routes-grants-list.ts';
import { registerRevokeGrant } from './routes-grants-revoke.ts';
import { registerOAuthRegister } from './routes-register.ts';
import { registerOAuthRevoke } from './routes-revoke.ts';
import { registerOAuthToken } from './routes-token.ts';

/** Every route of the OAuth 2.1 authorization server and its metadata. */
export function registerOAuth(app: App): void {
  registerOAuthMetadata(app);
  registerOAuthAuthorize(app);
  registerOAuthRegister(app);
  registerOAuthToken(app);
  registerOAuthRevoke(app);
  registerListGrants(app);
  registerRevokeGrant(app);
}
