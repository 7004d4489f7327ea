import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRoute, z } from '@hono/zod-openapi';
import { Validator } from '@seriousme/openapi-schema-validator';
import { createTestHangar, type TestHangar } from '../../test/hangar.ts';
import { ConflictError, RateLimitedError } from './errors.ts';

let hangar: TestHangar;

beforeAll(async () => {
  hangar = await createTestHangar({ env: { HANGAR_CORS_ORIGINS: 'https://app.example.com', HANGAR_BODY_LIMIT_BYTES: '2048' } });
  // Probe routes, registered the same way domain routes are, to exercise the shared error model.
  const echo = createRoute({
    method: 'post',
    path: '/test/echo',
    request: {
      body: {
        content: {
          'application/json': { schema: z.object({ name: z.string().min(2), tags: z.array(z.string().max(3)).max(2) }) },
        },
      },
    },
    responses: { 200: { description: 'ok' } },
  });
  hangar.app.openapi(echo, (c) => c.json(c.req.valid('json'), 200));
  hangar.app.get('/test/boom', () => {
    throw new Error('connect ECONNREFUSED 10.0.0.1:5432 password=hunter2-canary');
  });
  hangar.app.get('/test/conflict', () => {
    throw new ConflictError('Name already taken', 'name_taken');
  });
  hangar.app.get('/test/limited', () => {
    throw new RateLimitedError(12.2);
  });
});

afterAll(async () => {
  await hangar.dispose();
});

describe('health', () => {
  it('answers /healthz', async () => {
    const res = await hangar.request('/healthz');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok' });
  });

  it('answers /readyz when the database is migrated', async () => {
    const res = await hangar.request('/readyz');
    expect(res.status).toBe(200);
  });

  it('answers /readyz 503 with a reason when a migration is missing', async () => {
    const services = { ...hangar.services, migrations: [...hangar.services.migrations, '29990101000000_future'] };
    const { checkReadiness } = await import('../health/readiness.ts');
    expect(await checkReadiness(services)).toEqual({ ready: false, reason: 'pending migrations: 29990101000000_future' });
  });
});

describe('error model', () => {
  it('answers unknown routes 404 in the error shape', async () => {
    const res = await hangar.request('/v1/nothing-here');
    expect(res.status).toBe(404);
    const body = (await res.json()) as { error: { code: string; requestId: string } };
    expect(body.error.code).toBe('not_found');
    expect(body.error.requestId).toBe(res.headers.get('x-request-id'));
  });

  it('answers invalid input 400 with every field path', async () => {
    const res = await hangar.request('/test/echo', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'x', tags: ['ok', 'toolong'] }),
    });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: { code: string; issues: Array<{ path: string }> } };
    expect(body.error.code).toBe('invalid_request');
    expect(body.error.issues.map((i) => i.path).sort()).toEqual(['name', 'tags[1]']);
  });

  it('answers malformed JSON 400', async () => {
    const res = await hangar.request('/test/echo', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"name": ',
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('invalid_request');
  });

  it('answers unexpected errors 500 without internals, and logs them masked', async () => {
    const res = await hangar.request('/test/boom');
    expect(res.status).toBe(500);
    const text = await res.text();
    expect(JSON.parse(text)).toMatchObject({ error: { code: 'internal_error', message: 'Internal server error' } });
    expect(text).not.toMatch(/ECONNREFUSED|hunter2|stack|at /);
    expect(hangar.logs.text()).toContain('unhandled error');
    expect(hangar.logs.text()).not.toContain('hunter2-canary');
  });

  it('renders typed errors with their status and code', async () => {
    const res = await hangar.request('/test/conflict');
    expect(res.status).toBe(409);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('name_taken');
  });

  it('sets Retry-After on 429', async () => {
    const res = await hangar.request('/test/limited');
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('13');
  });

  it('rejects bodies over the limit with 413', async () => {
    const res = await hangar.request('/test/echo', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'a'.repeat(5000), tags: [] }),
    });
    expect(res.status).toBe(413);
    expect(res.headers.get('connection')).toBe('close');
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('payload_too_large');
  });
});

describe('request ids', () => {
  it('keeps a well-formed incoming X-Request-Id and replaces a hostile one', async () => {
    const kept = await hangar.request('/healthz', { headers: { 'x-request-id': 'abc-123' } });
    expect(kept.headers.get('x-request-id')).toBe('abc-123');
    const replaced = await hangar.request('/healthz', { headers: { 'x-request-id': 'bad id <script>'.padEnd(80, 'x') } });
    expect(replaced.headers.get('x-request-id')).toMatch(/^req_[0-9a-z]+$/);
  });

  it('logs every request with its id', async () => {
    await hangar.request('/healthz', { headers: { 'x-request-id': 'log-probe-1' } });
    const line = hangar.logs.records().find((r) => r.requestId === 'log-probe-1');
    expect(line).toMatchObject({ method: 'GET', path: '/healthz', status: 200 });
  });
});

describe('browser protections', () => {
  it('sends secure headers', async () => {
    const res = await hangar.request('/healthz');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('x-frame-options')).toBe('DENY');
    expect(res.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    expect(res.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');
  });

  it('allows CORS only for configured origins', async () => {
    const allowed = await hangar.request('/healthz', { headers: { origin: 'https://app.example.com' } });
    expect(allowed.headers.get('access-control-allow-origin')).toBe('https://app.example.com');
    expect(allowed.headers.get('access-control-allow-credentials')).toBe('true');
    const denied = await hangar.request('/healthz', { headers: { origin: 'https://evil.example.net' } });
    expect(denied.headers.get('access-control-allow-origin')).toBeNull();
    expect(denied.headers.get('access-control-allow-credentials')).toBeNull();
    const none = await hangar.request('/healthz');
    expect(none.headers.get('access-control-allow-credentials')).toBeNull();
    const preflight = await hangar.request('/v1/me', {
      method: 'OPTIONS',
      headers: { origin: 'https://evil.example.net', 'access-control-request-method': 'POST' },
    });
    expect(preflight.headers.get('access-control-allow-origin')).toBeNull();
    expect(preflight.headers.get('access-control-allow-credentials')).toBeNull();
  });

  it('marks every /v1 answer no-store (success, error and unauthenticated alike), and leaves probes cacheable', async () => {
    const signup = await hangar.request('/v1/auth/signup', {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: 'http://localhost:8080' },
      body: JSON.stringify({ email: 'nostore@example.com', password: 'a long enough passphrase 42' }),
    });
    expect(signup.status).toBe(201);
    expect(signup.headers.get('cache-control')).toBe('no-store');
    const unauthenticated = await hangar.request('/v1/me');
    expect(unauthenticated.status).toBe(401);
    expect(unauthenticated.headers.get('cache-control')).toBe('no-store');
    const missing = await hangar.request('/v1/no-such-route');
    expect(missing.headers.get('cache-control')).toBe('no-store');
    expect((await hangar.request('/healthz')).headers.get('cache-control')).not.toBe('no-store');
  });
});

describe('OpenAPI', () => {
  it('serves an OpenAPI 3.1 document with the health routes', async () => {
    const res = await hangar.request('/openapi.json');
    expect(res.status).toBe(200);
    const spec = (await res.json()) as { openapi: string; paths: Record<string, unknown> };
    expect(spec.openapi).toBe('3.1.0');
    expect(Object.keys(spec.paths)).toEqual(expect.arrayContaining(['/healthz', '/readyz']));
  });

  it('tells the truth: MCP 403, error shapes for 422/503 of deployment create, and the scope each route needs', async () => {
    const spec = (await (await hangar.request('/openapi.json')).json()) as {
      paths: Record<string, Record<string, { description?: string; responses: Record<string, { content?: Record<string, { schema: { $ref?: string } }> }> }>>;
    };
    for (const method of ['post', 'get', 'delete']) {
      const op = spec.paths['/v1/deployments/{id}/mcp']![method]!;
      expect(op.responses['403']?.content?.['application/json']?.schema.$ref).toBe('#/components/schemas/Error');
      expect(op.description).toContain('`mcp` scope');
    }
    const create = spec.paths['/v1/teams/{team}/deployments']!.post!;
    for (const status of ['422', '503']) expect(create.responses[status]?.content?.['application/json']?.schema.$ref).toBe('#/components/schemas/Error');
    expect(spec.paths['/v1/me/export']!.get!.description).toContain('`admin` scope');
  });

  it('is a valid OpenAPI 3.1 document by the official schema (and the check can fail)', async () => {
    const spec = (await (await hangar.request('/openapi.json')).json()) as Record<string, unknown>;
    const validator = new Validator();
    expect(await validator.validate(spec)).toEqual({ valid: true });
    expect(validator.version).toBe('3.1');
    const broken = { ...spec, info: { title: 'no version' } };
    expect((await new Validator().validate(broken)).valid).toBe(false);
  });

  it('renders /docs from the spec, escaped and self-contained', async () => {
    const res = await hangar.request('/docs');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/html');
    const html = await res.text();
    expect(html).toContain('<code>/readyz</code>');
    expect(html).toContain('Readiness: the database is reachable and fully migrated');
    expect(html).not.toMatch(/<script/i);
  });
});
