import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { UnauthorizedError, type OAuthClientProvider } from '@modelcontextprotocol/sdk/client/auth.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { OAuthClientInformationMixed, OAuthClientMetadata, OAuthTokens } from '@modelcontextprotocol/sdk/shared/auth.js';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { publishClient, startCimdServer, type CimdServer } from './cimd-server.ts';
import { createLocalModeWorld, EVERYTHING_PACKAGE, EVERYTHING_VERSION, type LocalModeWorld } from './local-mode-world.ts';
import { pkcePair } from './oauth-client.ts';

/**
 * Issue 16's end-to-end proof: a real MCP server from npm deployed in local mode, and two real clients that
 * know nothing but the MCP URL: Chromium (headless, driven by playwright-core) walking the pages as a
 * person would, and the official MCP SDK's OAuth client. Each discovers from the 401, registers (Client ID
 * Metadata Document and RFC 7591), signs in, consents, gets a token and lists and calls tools.
 */

let world: LocalModeWorld;
let cimd: CimdServer;
let browser: Browser;
let page: Page;
let mcpUrl: string;
let callback: { server: Server; url: string; next(): Promise<URL> };

function startCallbackServer(): Promise<typeof callback> {
  const waiting: Array<(u: URL) => void> = [];
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>done</title><p>You can close this window.</p>');
    // Only the redirect itself counts (Chromium also asks for /favicon.ico).
    if (url.pathname === '/cb') waiting.shift()?.(url);
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/cb`;
      resolve({ server, url, next: () => new Promise<URL>((r) => waiting.push(r)) });
    }),
  );
}

/** What a person does: sign in if asked, then press the button; returns where the browser landed. */
async function approveInBrowser(authorizationUrl: string, button: 'Allow' | 'Deny' = 'Allow'): Promise<URL> {
  const landed = callback.next();
  await page.goto(authorizationUrl);
  if (await page.locator('input[name=password]').count()) {
    await page.fill('input[name=email]', world.owner.user.email);
    await page.fill('input[name=password]', world.owner.password);
    await page.click('button[type=submit]');
  }
  await page.getByRole('button', { name: button, exact: true }).click();
  return landed;
}

async function waitForRunning(depId: string): Promise<void> {
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    const res = await world.hangar.request(`/v1/deployments/${depId}`, { headers: world.owner.keyHeaders });
    if (((await res.json()) as { state: string }).state === 'running') return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error('deployment did not start');
}

async function callTools(token: string | OAuthClientProvider): Promise<{ tools: string[]; echo: string | undefined }> {
  const transport = new StreamableHTTPClientTransport(new URL(mcpUrl), typeof token === 'string' ? { requestInit: { headers: { authorization: `Bearer ${token}` } } } : { authProvider: token });
  const client = new Client({ name: 'hangar-oauth-e2e', version: '1.0.0' });
  await client.connect(transport);
  const tools = (await client.listTools()).tools.map((t) => t.name);
  const echoed = (await client.callTool({ name: 'echo', arguments: { message: 'via oauth' } })) as { content: Array<{ text?: string }> };
  await client.close();
  return { tools, echo: echoed.content[0]?.text };
}

beforeAll(async () => {
  cimd = await startCimdServer();
  callback = await startCallbackServer();
  world = await createLocalModeWorld({ clientMetadata: cimd.fetcher });
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
  page = await (await browser.newContext()).newPage();
  const res = await world.hangar.request(`/v1/teams/${world.owner.team.id}/deployments`, {
    method: 'POST',
    headers: { ...world.owner.keyHeaders, 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'everything', package: `npm:${EVERYTHING_PACKAGE}@${EVERYTHING_VERSION}`, args: ['stdio'] }),
  });
  const depId = ((await res.json()) as { id: string }).id;
  mcpUrl = `${world.baseUrl}/v1/deployments/${depId}/mcp`;
  await waitForRunning(depId);
}, 150_000);

afterAll(async () => {
  await browser?.close();
  await world?.dispose();
  await cimd?.close();
  await new Promise((r) => callback?.server.close(r));
});

describe('a browser, from the 401 to tools', () => {
  let metadata: { authorization_endpoint: string; token_endpoint: string; registration_endpoint: string };
  let resource: string;

  it('discovers the authorization server from the 401', async () => {
    const challenge = await fetch(mcpUrl, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' }, body: '{}' });
    expect(challenge.status).toBe(401);
    const prmUrl = /resource_metadata="([^"]+)"/.exec(challenge.headers.get('www-authenticate') ?? '')?.[1];
    const prm = (await (await fetch(prmUrl!)).json()) as { resource: string; authorization_servers: string[] };
    expect(prm.resource).toBe(mcpUrl);
    resource = prm.resource;
    metadata = (await (await fetch(`${prm.authorization_servers[0]}/.well-known/oauth-authorization-server`)).json()) as typeof metadata;
  });

  async function codeFlow(clientId: string, state: string): Promise<string> {
    const { verifier, challenge } = pkcePair();
    const q = new URLSearchParams({ response_type: 'code', client_id: clientId, redirect_uri: callback.url, scope: 'mcp offline_access', state, code_challenge: challenge, code_challenge_method: 'S256', resource });
    const landed = await approveInBrowser(`${metadata.authorization_endpoint}?${q}`);
    expect(landed.searchParams.get('state')).toBe(state);
    expect(landed.searchParams.get('iss')).toBe(world.baseUrl);
    const res = await fetch(metadata.token_endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'authorization_code', code: landed.searchParams.get('code')!, redirect_uri: callback.url, client_id: clientId, code_verifier: verifier, resource }),
    });
    expect(res.status).toBe(200);
    return ((await res.json()) as { access_token: string }).access_token;
  }

  it('with a Client ID Metadata Document: signs in, allows, and calls tools with the token', async () => {
    const clientId = publishClient(cimd, '/browser-client.json', (id) => ({ client_id: id, client_name: 'Browser Agent', redirect_uris: [callback.url] }));
    const token = await codeFlow(clientId, 'cimd-state');
    const result = await callTools(token);
    expect(result.tools).toEqual(expect.arrayContaining(['echo']));
    expect(result.echo).toBe('Echo: via oauth');
  }, 30_000);

  it('with RFC 7591 registration (already signed in: straight to consent); Deny comes back as access_denied', async () => {
    const reg = await fetch(metadata.registration_endpoint, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ client_name: 'DCR Agent', redirect_uris: [callback.url], token_endpoint_auth_method: 'none' }) });
    expect(reg.status).toBe(201);
    const clientId = ((await reg.json()) as { client_id: string }).client_id;
    const token = await codeFlow(clientId, 'dcr-state');
    expect((await callTools(token)).echo).toBe('Echo: via oauth');

    const q = new URLSearchParams({ response_type: 'code', client_id: clientId, redirect_uri: callback.url, state: 'no', code_challenge: pkcePair().challenge, code_challenge_method: 'S256', resource });
    const denied = await approveInBrowser(`${metadata.authorization_endpoint}?${q}`, 'Deny');
    expect([denied.searchParams.get('error'), denied.searchParams.get('state'), denied.searchParams.get('iss')]).toEqual(['access_denied', 'no', world.baseUrl]);
  }, 30_000);
});

/** The SDK's OAuth client state, in memory; the browser plays the user when the SDK asks for a redirect. */
class BrowserProvider implements OAuthClientProvider {
  info: OAuthClientInformationMixed | undefined;
  saved: OAuthTokens | undefined;
  verifier = '';
  authorizationUrl: URL | undefined;
  constructor(readonly clientMetadataUrl: string | undefined) {}
  get redirectUrl(): string {
    return callback.url;
  }
  get clientMetadata(): OAuthClientMetadata {
    return { client_name: 'SDK Agent', redirect_uris: [callback.url], grant_types: ['authorization_code', 'refresh_token'], response_types: ['code'], token_endpoint_auth_method: 'none' };
  }
  clientInformation() {
    return this.info;
  }
  saveClientInformation(info: OAuthClientInformationMixed) {
    this.info = info;
  }
  tokens() {
    return this.saved;
  }
  saveTokens(tokens: OAuthTokens) {
    this.saved = tokens;
  }
  redirectToAuthorization(url: URL) {
    this.authorizationUrl = url;
  }
  saveCodeVerifier(v: string) {
    this.verifier = v;
  }
  codeVerifier() {
    return this.verifier;
  }
}

describe('the official MCP SDK client’s OAuth support', () => {
  for (const mode of ['client ID metadata document', 'dynamic registration'] as const) {
    it(`${mode}: discovers, registers, gets a token after the browser consents, and calls tools`, async () => {
      const cimdUrl = mode === 'client ID metadata document' ? publishClient(cimd, '/sdk-client.json', (id) => ({ client_id: id, client_name: 'SDK Agent', redirect_uris: [callback.url] })) : undefined;
      const provider = new BrowserProvider(cimdUrl);
      const transport = new StreamableHTTPClientTransport(new URL(mcpUrl), { authProvider: provider });
      await expect(new Client({ name: 'sdk', version: '1.0.0' }).connect(transport)).rejects.toBeInstanceOf(UnauthorizedError);
      const authUrl = provider.authorizationUrl!;
      expect(authUrl.searchParams.get('resource')).toBe(mcpUrl);
      expect(authUrl.searchParams.get('code_challenge_method')).toBe('S256');
      if (cimdUrl) expect(provider.info?.client_id).toBe(cimdUrl);
      else expect(provider.info?.client_id).toMatch(/^oac_/);
      const landed = await approveInBrowser(authUrl.toString());
      expect(landed.searchParams.get('error'), landed.toString()).toBeNull();
      await transport.finishAuth(landed.searchParams.get('code')!);
      expect(provider.saved?.access_token).toMatch(/^hgo_/);
      const result = await callTools(provider);
      expect(result.tools).toEqual(expect.arrayContaining(['echo']));
      expect(result.echo).toBe('Echo: via oauth');
    }, 30_000);
  }
});
