import type { HostResolver } from './url-rules.ts';

/** A DNS answer table for tests: public names, names that resolve to internal addresses, and NXDOMAIN. */
export const TEST_DNS: Record<string, string[]> = {
  'example.com': ['93.184.215.14'],
  'mcp.example.org': ['104.18.32.7', '2606:4700::6812:2007'],
  'rebind.example.net': ['127.0.0.1'],
  'mixed.example.net': ['8.8.8.8', '10.0.0.5'],
  'v6loop.example.net': ['::1'],
  'meta.example.net': ['169.254.169.254'],
  'fly6pn.example.net': ['fdaa:0:1:a7b:1::2'],
  'mapped.example.net': ['::ffff:192.168.0.1'],
};

/** A resolver over TEST_DNS that fails like getaddrinfo (ENOTFOUND) for other names, and counts lookups. */
export function createTestResolver(): HostResolver & { lookups: string[] } {
  const lookups: string[] = [];
  const resolve = async (host: string) => {
    lookups.push(host);
    const answer = TEST_DNS[host.toLowerCase()];
    if (!answer) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
    return answer;
  };
  return Object.assign(resolve, { lookups });
}
