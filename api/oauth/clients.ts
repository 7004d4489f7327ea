import type { Services } from '../services.ts';
import { ClientMetadataDocumentSchema, isMetadataDocumentUrl } from './client-metadata.ts';
import { hostOf, redirectUriProblem } from './redirect-uris.ts';

/** A client as the authorization flow sees it, wherever it came from. */
export interface OAuthClientView {
  id: string;
  /** How it is known: a fetched Client ID Metadata Document, or an RFC 7591 registration. */
  kind: 'metadata_document' | 'registered';
  name: string;
  /** The host a person recognises it by: the document's host, or the registered client_uri / first redirect URI. */
  host: string;
  redirectUris: string[];
}

/** Why a client_id cannot be used; shown on Hangar's own error page, never sent to a redirect URI. */
export type ClientResolution = { ok: true; client: OAuthClientView } | { ok: false; reason: string };

const REGISTERED_ID = /^oac_[0-9a-z]{10,40}$/;

/**
 * Resolves `client_id`: an https URL is a Client ID Metadata Document, fetched now through the SSRF rules;
 * it must name itself as `client_id`, use no client secret, and list only acceptable redirect URIs.
 * Anything else must be a client registered here by RFC 7591.
 */
export async function resolveClient(services: Services, clientId: string): Promise<ClientResolution> {
  const production = services.config.env === 'production';
  if (isMetadataDocumentUrl(clientId)) {
    const fetched = await services.clientMetadata.fetch(clientId);
    if (!fetched.ok) return { ok: false, reason: `The client's metadata document could not be used: ${fetched.reason}` };
    const parsed = ClientMetadataDocumentSchema.safeParse(fetched.body);
    if (!parsed.success) return { ok: false, reason: 'The client metadata document lacks redirect_uris or has malformed fields' };
    const doc = parsed.data;
    if (doc.client_id !== clientId) return { ok: false, reason: 'The client metadata document does not name its own URL as client_id' };
    if (doc.token_endpoint_auth_method && doc.token_endpoint_auth_method !== 'none') {
      return { ok: false, reason: 'The client metadata document asks for a token endpoint authentication method other than none' };
    }
    const bad = doc.redirect_uris.find((uri) => redirectUriProblem(uri, { production }));
    if (bad !== undefined) return { ok: false, reason: `The client metadata document lists a redirect URI that ${redirectUriProblem(bad, { production })}` };
    return { ok: true, client: { id: clientId, kind: 'metadata_document', name: doc.client_name ?? hostOf(clientId), host: hostOf(clientId), redirectUris: doc.redirect_uris } };
  }
  if (!REGISTERED_ID.test(clientId)) return { ok: false, reason: 'Unknown client_id' };
  const row = await services.db.oAuthClient.findUnique({ where: { id: clientId } });
  if (!row) return { ok: false, reason: 'Unknown client_id' };
  // A registered redirect URI that production no longer accepts (http loopback) stops working there.
  const redirectUris = row.redirectUris.filter((uri) => !redirectUriProblem(uri, { production }));
  return { ok: true, client: { id: row.id, kind: 'registered', name: row.name, host: hostOf(row.clientUri ?? row.redirectUris[0] ?? ''), redirectUris } };
}
