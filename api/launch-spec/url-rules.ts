import { lookup } from 'node:dns/promises';
import { blockedHostname, classifyAddress } from './address-rules.ts';
import type { LaunchIssue } from './issues.ts';

/** Resolves a host name to its addresses (A and AAAA); injectable so tests and the launcher choose. */
export type HostResolver = (host: string) => Promise<string[]>;

/** The operating system's resolver (getaddrinfo), every address. */
export const systemResolver: HostResolver = async (host) => (await lookup(host, { all: true, verbatim: true })).map((a) => a.address);

const MAX_URL = 2048;
/** Finds `scheme://...` inside a free-text value (an argument, an environment value, a header). */
const EMBEDDED_URL = /[A-Za-z][A-Za-z0-9+.-]*:\/\/[^\s"'<>]*/g;

/**
 * Checks one URL: https only, no credentials in it, and a host that neither is nor resolves to a
 * loopback, private, link-local, reserved or cloud-metadata address. Every resolved address must be
 * public (one bad A record is enough to refuse). The launcher re-checks right before start, since DNS
 * can change between the two.
 */
export async function checkUrl(path: string, text: string, resolve: HostResolver): Promise<LaunchIssue[]> {
  if (text.length > MAX_URL) return [{ path, rule: 'url_length', message: `URL is longer than ${MAX_URL} characters` }];
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return [{ path, rule: 'url_format', message: 'not a valid absolute URL' }];
  }
  if (url.protocol !== 'https:') return [{ path, rule: 'url_scheme', message: `scheme ${url.protocol.slice(0, 20)} is not allowed; use https` }];
  if (url.username || url.password) return [{ path, rule: 'url_credentials', message: 'credentials in a URL are refused; use a header or a secret' }];
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const literal = classifyAddress(host);
  if (literal) return [{ path, rule: 'url_host_blocked', message: `host ${host} is a ${literal} address` }];
  if (/^[\d.]+$/.test(host) || host.includes(':')) return [];
  const named = blockedHostname(host);
  if (named) return [{ path, rule: 'url_host_blocked', message: `host ${host.slice(0, 60)} ${named}` }];
  let addresses: string[];
  try {
    addresses = await resolve(host);
  } catch {
    addresses = [];
  }
  if (addresses.length === 0) return [{ path, rule: 'url_host_unresolvable', message: `host ${host.slice(0, 60)} does not resolve` }];
  for (const address of addresses) {
    const kind = classifyAddress(address);
    if (kind) return [{ path, rule: 'url_host_resolves_blocked', message: `host ${host.slice(0, 60)} resolves to a ${kind} address (${address})` }];
  }
  return [];
}

/** Checks every URL written inside a free-text value. */
export async function checkEmbeddedUrls(path: string, value: string, resolve: HostResolver): Promise<LaunchIssue[]> {
  const found = value.match(EMBEDDED_URL) ?? [];
  const issues = await Promise.all(found.slice(0, 20).map((u) => checkUrl(path, u, resolve)));
  return issues.flat();
}
