/**
 * Which redirect URIs a client may register (OAuth 2.1 §2.3.1, §8.4): https anywhere; plain http only to a
 * loopback address (a native client on this machine), and only outside production. No fragments, no
 * credentials. Redirect URIs are compared exactly as registered: no prefix, pattern or port wildcard.
 */
export function redirectUriProblem(text: string, options: { production: boolean }): string | undefined {
  if (text.length > 2000) return 'is longer than 2000 characters';
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return 'is not an absolute URL';
  }
  if (url.hash || text.includes('#')) return 'must not contain a fragment';
  if (url.username || url.password) return 'must not contain credentials';
  if (url.protocol === 'https:') return undefined;
  if (url.protocol === 'http:') {
    if (!isLoopbackHost(url.hostname)) return 'uses http to a host other than a loopback address; use https';
    if (options.production) return 'uses http, which this server accepts only outside production';
    return undefined;
  }
  return `uses the scheme ${url.protocol.slice(0, 20)}; use https (or http to a loopback address)`;
}

/** 127.0.0.0/8, ::1 and `localhost`: addresses that never leave the user's machine. */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/** The host a person recognises a redirect URI (or client) by: shown on the consent page. */
export function hostOf(text: string): string {
  try {
    return new URL(text).host;
  } catch {
    return text.slice(0, 100);
  }
}
