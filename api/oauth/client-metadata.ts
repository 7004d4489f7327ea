import { request } from 'node:https';
import { isIP } from 'node:net';
import { pipeline, Writable } from 'node:stream';
import { z } from 'zod';
import { classifyAddress } from '../launch-spec/address-rules.ts';
import { checkUrl, systemResolver, type HostResolver } from '../launch-spec/url-rules.ts';

/** Fetches a Client ID Metadata Document (an https `client_id` URL) and returns its parsed JSON, or why not. */
export interface ClientMetadataFetcher {
  fetch(url: string): Promise<{ ok: true; body: unknown } | { ok: false; reason: string }>;
}

export interface HttpsFetcherOptions {
  resolveHost?: HostResolver;
  timeoutMs?: number;
  maxBytes?: number;
  /**
   * Tests only: where to dial instead of the checked public address (a local TLS server), and the CA and
   * name its certificate is checked against. The URL and address checks run unchanged.
   */
  dialOverride?: { host: string; port: number; ca: string; servername: string };
}

const DEFAULT_MAX_BYTES = 5_120;

/**
 * The production fetcher: the URL passes the same SSRF rules as every tenant URL (https, no credentials,
 * every resolved address public), then one GET goes to the checked address itself (pinned, so a DNS
 * rebinding between check and connect cannot redirect it), with no redirects followed, a 5 s timeout and a
 * 5 KiB cap on the answer.
 */
export function createClientMetadataFetcher(options: HttpsFetcherOptions = {}): ClientMetadataFetcher {
  const resolveHost = options.resolveHost ?? systemResolver;
  const timeoutMs = options.timeoutMs ?? 5_000;
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
  return {
    async fetch(text) {
      const issues = await checkUrl('client_id', text, resolveHost);
      if (issues.length > 0) return { ok: false, reason: issues[0]!.message };
      const url = new URL(text);
      const host = url.hostname.replace(/^\[|\]$/g, '');
      const address = isIP(host) ? host : (await resolveHost(host).catch(() => []))[0];
      if (!address || classifyAddress(address)) return { ok: false, reason: 'the client_id host does not resolve to a public address' };
      return get(url, address, { timeoutMs, maxBytes, dial: options.dialOverride });
    },
  };
}

function get(
  url: URL,
  address: string,
  o: { timeoutMs: number; maxBytes: number; dial: HttpsFetcherOptions['dialOverride'] },
): Promise<{ ok: true; body: unknown } | { ok: false; reason: string }> {
  return new Promise((resolve) => {
    const family = isIP(address) === 6 ? 6 : 4;
    const req = request(
      {
        method: 'GET',
        host: o.dial?.host ?? address,
        port: o.dial?.port ?? (url.port || 443),
        path: `${url.pathname}${url.search}`,
        servername: o.dial?.servername ?? url.hostname,
        ca: o.dial?.ca,
        headers: { host: url.host, accept: 'application/json', 'user-agent': 'Hangar-OAuth' },
        family: o.dial ? undefined : family,
        timeout: o.timeoutMs,
      },
      (res) => {
        if (res.statusCode !== 200) {
          res.resume();
          resolve({ ok: false, reason: `the client_id URL answered HTTP ${res.statusCode ?? 0}` });
          return;
        }
        const chunks: Buffer[] = [];
        let size = 0;
        const sink = new Writable({
          write(chunk: Buffer, _enc, done) {
            size += chunk.length;
            if (size > o.maxBytes) return done(new Error('too large'));
            chunks.push(chunk);
            done();
          },
        });
        pipeline(res, sink, (error) => {
          if (error) return resolve({ ok: false, reason: size > o.maxBytes ? `the client metadata document is larger than ${o.maxBytes} bytes` : 'the client_id URL could not be read' });
          try {
            resolve({ ok: true, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown });
          } catch {
            resolve({ ok: false, reason: 'the client metadata document is not JSON' });
          }
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', () => resolve({ ok: false, reason: 'the client_id URL could not be fetched' }));
    req.end();
  });
}

/** The fields of a Client ID Metadata Document Hangar reads (draft-ietf-oauth-client-id-metadata-document). */
export const ClientMetadataDocumentSchema = z.object({
  client_id: z.string().max(2000),
  client_name: z.string().trim().min(1).max(100).optional(),
  client_uri: z.string().max(2000).optional(),
  redirect_uris: z.array(z.string().max(2000)).min(1).max(20),
  token_endpoint_auth_method: z.string().max(50).optional(),
});

/**
 * True for a `client_id` that is a metadata document URL: https with a path (and no fragment or
 * credentials), as the CIMD draft requires.
 */
export function isMetadataDocumentUrl(clientId: string): boolean {
  if (!clientId.startsWith('https://')) return false;
  try {
    const url = new URL(clientId);
    return url.pathname.length > 1 && !url.hash && !url.username && !url.password && !url.pathname.split('/').includes('..');
  } catch {
    return false;
  }
}
