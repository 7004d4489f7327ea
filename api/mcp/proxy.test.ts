import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jsonInit, signUpUser } from '../../test/accounts.ts';
import { createDeploymentWorld, TEST_PACKAGE, type DeploymentWorld } from '../../test/deployments-harness.ts';
import { runSecurityBattery } from '../../test/security.ts';
import { hashToken, newId, newSecretToken } from '../platform/ids.ts';

/**
 * The proxy against a stand-in runner: a real HTTP server that speaks the runner's side of Streamable HTTP
 * (JSON answers, an SSE stream, session ids) and records what reached it.
 */
let world: DeploymentWorld;
let upstream: Server;
let upstreamUrl: string;
let depId: string;
let runnerToken: string;
const seen: Array<{ method: string; headers: IncomingHttpHeaders; body: string }> = [];
let releaseStream: (() => void) | undefined;

beforeAll(async () => {
  world = await createDeploymentWorld();
  upstream = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      seen.push({ method: req.method ?? '', headers: req.headers, body });
      if (req.headers.authorization !== `Bearer ${runnerToken}`) {
        res.writeHead(401).end();
        return;
      }
      if (req.method === 'POST') {
        const message = JSON.parse(body) as { id: number; method: string };
        res.writeHead(200, { 'content-type': 'application/json', 'mcp-session-id': 'sess-1', 'set-cookie': 'leak=1', 'x-internal': 'no' });
        res.end(JSON.stringify({ jsonrpc: '2.0', id: message.id, result: { echoed: message.method } }));
      } else if (req.method === 'GET') {
        res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', 'mcp-session-id': 'sess-1' });
        res.write('event: message\ndata: {"jsonrpc":"2.0","method":"notifications/message","params":{"level":"info"}}\n\n');
        releaseStream = () => res.end();
      } else {
        res.writeHead(204).end();
      }
    });
  });
  await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
  upstreamUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;

  const res = await world.deploy(world.owner, { name: 'proxied', package: `npm:${TEST_PACKAGE}` });
  depId = ((await res.json()) as { id: string }).id;
  await world.settle(async () => (await world.hangar.services.db.deployment.findUniqueOrThrow({ where: { id: depId } })).state === 'running');
  const dep = await world.hangar.services.db.deployment.findUniqueOrThrow({ where: { id: depId } });
  runnerToken = world.hangar.services.vault.decrypt({ ciphertext: dep.runnerTokenCipher, keyId: dep.runnerTokenKeyId });
  // The fake Fly has no real machine behind its address: point the deployment at the stand-in runner.
  await world.hangar.services.db.deployment.update({ where: { id: depId }, data: { privateAddress: upstreamUrl } });
});

afterAll(async () => {
  releaseStream?.();
  upstream.closeAllConnections();
  await new Promise((r) => upstream.close(r));
  await world.close();
});

const mcpPath = () => `/v1/deployments/${depId}/mcp`;
const rpc = (id: number, method: string) => JSON.stringify({ jsonrpc: '2.0', id, method });

describe('MCP proxy', () => {
  it('forwards a POST with the runner token, never the client’s credentials, and returns the answer and session id', async () => {
    seen.length = 0;
    const res = await world.hangar.request(mcpPath(), {
      method: 'POST',
      headers: { ...world.owner.keyHeaders, 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': '2025-06-18', cookie: 'hangar_session=x' },
      body: rpc(1, 'tools/list'),
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ jsonrpc: '2.0', id: 1, result: { echoed: 'tools/list' } });
    expect(res.headers.get('mcp-session-id')).toBe('sess-1');
    expect(res.headers.get('set-cookie')).toBeNull();
    expect(res.headers.get('x-internal')).toBeNull();
    const received = seen.at(-1)!;
    expect(received.headers.authorization).toBe(`Bearer ${runnerToken}`);
    expect(received.headers.cookie).toBeUndefined();
    expect(received.headers['mcp-protocol-version']).toBe('2025-06-18');
    // On Fly the endpoint is the tenant app's Flycast name; the header pins this deployment's machine.
    const dep = await world.hangar.services.db.deployment.findUniqueOrThrow({ where: { id: depId } });
    expect(received.headers['fly-force-instance-id']).toBe(dep.machineId);
    expect(received.body).toBe(rpc(1, 'tools/list'));
  });

  it('forwards an OAuth client’s call with the runner token: the client’s access token never reaches the runner', async () => {
    const { db, clock } = world.hangar.services;
    const now = clock.now();
    const grant = await db.oAuthGrant.create({
      data: { id: newId('ogr'), userId: world.owner.user.id, deploymentId: depId, clientId: 'oac_proxytest00000', clientName: 'Proxy', scopes: ['mcp'], resource: `${world.hangar.services.config.publicUrl}${mcpPath()}`, createdAt: now },
    });
    const access = newSecretToken('hgo_');
    await db.oAuthToken.create({ data: { id: newId('tok'), grantId: grant.id, kind: 'access', tokenHash: hashToken(access), createdAt: now, expiresAt: new Date(now.getTime() + 3_600_000) } });
    seen.length = 0;
    const res = await world.hangar.request(mcpPath(), { method: 'POST', headers: { authorization: `Bearer ${access}`, 'content-type': 'application/json' }, body: rpc(7, 'tools/list') });
    expect(res.status).toBe(200);
    const received = seen.at(-1)!;
    expect(received.headers.authorization).toBe(`Bearer ${runnerToken}`);
    expect(JSON.stringify(received.headers)).not.toContain(access);
  });

  it('forwards the 2026-07-28 headers an intermediary must pass on (Mcp-Method, Mcp-Name, Mcp-Param-*, trace context)', async () => {
    const res = await world.hangar.request(mcpPath(), {
      method: 'POST',
      headers: {
        ...world.owner.keyHeaders,
        'content-type': 'application/json',
        'mcp-protocol-version': '2026-07-28',
        'mcp-method': 'tools/call',
        'mcp-name': 'echo',
        'mcp-param-region': 'eu',
        traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
        'x-not-mcp': 'dropped',
      },
      body: rpc(9, 'tools/call'),
    });
    expect(res.status).toBe(200);
    const received = seen.at(-1)!.headers;
    expect(received['mcp-method']).toBe('tools/call');
    expect(received['mcp-name']).toBe('echo');
    expect(received['mcp-param-region']).toBe('eu');
    expect(received.traceparent).toBe('00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01');
    expect(received['x-not-mcp']).toBeUndefined();
  });

  it('validates Origin on every method: a foreign origin gets 403 even on the GET stream, a trusted one passes', async () => {
    seen.length = 0;
    for (const method of ['GET', 'POST', 'DELETE']) {
      const res = await world.hangar.request(mcpPath(), {
        method,
        headers: { ...world.owner.keyHeaders, origin: 'https://evil.example.net', 'mcp-session-id': 'sess-1', 'content-type': 'application/json' },
        body: method === 'POST' ? rpc(10, 'ping') : undefined,
      });
      expect(res.status, method).toBe(403);
      // State-changing methods meet the CSRF rule first; the GET stream meets the MCP Origin rule.
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe(method === 'GET' ? 'origin_rejected' : 'csrf_rejected');
    }
    expect(seen).toEqual([]);
    const trusted = await world.hangar.request(mcpPath(), {
      method: 'POST',
      headers: { ...world.owner.keyHeaders, origin: 'http://localhost:8080', 'content-type': 'application/json' },
      body: rpc(11, 'ping'),
    });
    expect(trusted.status).toBe(200);
  });

  it('streams the GET SSE stream without buffering it', async () => {
    const res = await world.hangar.request(mcpPath(), { headers: { ...world.owner.keyHeaders, accept: 'text/event-stream', 'mcp-session-id': 'sess-1' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/event-stream');
    const reader = res.body!.getReader();
    const first = await reader.read();
    expect(new TextDecoder().decode(first.value)).toContain('notifications/message');
    expect(seen.at(-1)?.headers['mcp-session-id']).toBe('sess-1');
    releaseStream?.();
    await reader.cancel();
  });

  it('forwards DELETE to end a session', async () => {
    const res = await world.hangar.request(mcpPath(), { method: 'DELETE', headers: { ...world.owner.keyHeaders, 'mcp-session-id': 'sess-1' } });
    expect(res.status).toBe(204);
    expect(seen.at(-1)?.method).toBe('DELETE');
  });

  it('accepts a key with only the mcp scope, and refuses a read-only key', async () => {
    const mcpOnly = await signUpUser(world.hangar, { scopes: ['mcp'] });
    await world.hangar.services.db.membership.create({ data: { teamId: world.owner.team.id, userId: mcpOnly.user.id, role: 'member' } });
    const ok = await world.hangar.request(mcpPath(), { method: 'POST', headers: { ...mcpOnly.keyHeaders, 'content-type': 'application/json' }, body: rpc(2, 'ping') });
    expect(ok.status).toBe(200);
    const made = await world.hangar.request('/v1/me/keys', jsonInit('POST', world.owner.keyHeaders, { name: 'ro', scopes: ['read'] }));
    const { key } = (await made.json()) as { key: string };
    const refused = await world.hangar.request(mcpPath(), { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: rpc(3, 'ping') });
    expect(refused.status).toBe(403);
  });

  it('never accepts a token in the URL', async () => {
    const res = await world.hangar.request(`${mcpPath()}?access_token=${world.owner.apiKey}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: rpc(4, 'ping') });
    expect(res.status).toBe(401);
  });

  it('answers 502 when the runner does not answer, and counts the error', async () => {
    await world.hangar.services.db.deployment.update({ where: { id: depId }, data: { privateAddress: 'http://127.0.0.1:9' } });
    try {
      const res = await world.hangar.request(mcpPath(), { method: 'POST', headers: { ...world.owner.keyHeaders, 'content-type': 'application/json' }, body: rpc(5, 'ping') });
      expect(res.status).toBe(502);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('deployment_unreachable');
    } finally {
      await world.hangar.services.db.deployment.update({ where: { id: depId }, data: { privateAddress: upstreamUrl } });
    }
  });

  it('records usage per deployment', async () => {
    await world.hangar.services.usage.flush();
    const res = await world.hangar.request(`/v1/deployments/${depId}`, { headers: world.owner.keyHeaders });
    const usage = ((await res.json()) as { usage: { requests: number; errors: number; lastUsedAt: string | null } }).usage;
    expect(usage.requests).toBeGreaterThanOrEqual(5);
    expect(usage.errors).toBe(1);
    expect(usage.lastUsedAt).not.toBeNull();
  });

  it('answers 503 with the state when the deployment is not running', async () => {
    await world.hangar.request(`/v1/deployments/${depId}/stop`, { method: 'POST', headers: world.owner.keyHeaders });
    await world.settle(async () => (await world.hangar.services.db.deployment.findUniqueOrThrow({ where: { id: depId } })).state === 'stopped');
    const res = await world.hangar.request(mcpPath(), { method: 'POST', headers: { ...world.owner.keyHeaders, 'content-type': 'application/json' }, body: rpc(6, 'ping') });
    expect(res.status).toBe(503);
    expect(await res.json()).toMatchObject({ error: { code: 'deployment_not_running', message: expect.stringContaining('The deployment is stopped') } });
  });
});

runSecurityBattery('POST /v1/deployments/{id}/mcp', {
  hangar: () => world.hangar,
  request: () => ({ method: 'POST', path: mcpPath(), body: { jsonrpc: '2.0', id: 1, method: 'ping' } }),
  tooNarrowScopes: ['read'],
});

