import { createServer, type Server } from 'node:https';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import type { HostResolver } from '../api/launch-spec/url-rules.ts';
import { createClientMetadataFetcher, type ClientMetadataFetcher } from '../api/oauth/client-metadata.ts';
import { makeTestPki } from './tls.ts';

/** Names the test resolver answers: a public-looking address for the client host, loopback for a rebinding one. */
export const CIMD_DNS: Record<string, string[]> = {
  'client.example.com': ['93.184.215.14'],
  'rebind.example.net': ['127.0.0.1'],
};

export interface CimdServer {
  /** What each path answers: a JSON document, or a raw status and body. */
  routes: Map<string, { status: number; body: string; headers?: Record<string, string> }>;
  /** Paths requested, in order. */
  requests: string[];
  fetcher: ClientMetadataFetcher;
  close(): Promise<void>;
}

/**
 * A real HTTPS server (throwaway CA) that plays the clients' web hosts for Client ID Metadata Documents.
 * Hangar's production fetcher is used unchanged (SSRF rules over `CIMD_DNS`, pinned address, no redirects,
 * size cap); only its dialing is pointed at this server, whose certificate it checks against the test CA.
 */
export async function startCimdServer(): Promise<CimdServer> {
  const pki = makeTestPki();
  const routes: CimdServer['routes'] = new Map();
  const requests: string[] = [];
  const server: Server = createServer({ cert: readFileSync(pki.serverCertFile), key: readFileSync(pki.serverKeyFile) }, (req, res) => {
    requests.push(req.url ?? '');
    const route = routes.get(req.url ?? '');
    if (!route) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(route.status, { 'content-type': 'application/json', ...route.headers }).end(route.body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as AddressInfo).port;
  const resolveHost: HostResolver = async (host) => {
    const answer = CIMD_DNS[host.toLowerCase()];
    if (!answer) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
    return answer;
  };
  return {
    routes,
    requests,
    fetcher: createClientMetadataFetcher({ resolveHost, dialOverride: { host: '127.0.0.1', port, ca: pki.caCert, servername: 'localhost' } }),
    close: () => new Promise((r) => server.close(() => r())),
  };
}

/** Publishes a metadata document at `path` of client.example.com and returns its URL (the client_id). */
export function publishClient(server: CimdServer, path: string, doc: (clientId: string) => Record<string, unknown>): string {
  const clientId = `https://client.example.com${path}`;
  server.routes.set(path, { status: 200, body: JSON.stringify(doc(clientId)) });
  return clientId;
}
