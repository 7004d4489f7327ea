import type { App } from '../http/context.ts';
import { registerOAuthMetadata } from './metadata-routes.ts';

/** Every route of the OAuth 2.1 authorization server and its metadata. */
export function registerOAuth(app: App): void {
  registerOAuthMetadata(app);
}
