import type { FuzzWorld, TenantIds } from './fuzz-world.ts';
import { deeplyNested, hostileHeaderValue, hostileSegment, hostileString, malformedJson, pollutedObject } from './hostile-values.ts';
import { mutate, plausibleValue, type JsonSchema, type Operation } from './openapi-operations.ts';
import type { Rng } from './rng.ts';

/** One request the fuzzer sends over HTTP. */
export interface FuzzRequest {
  /** `METHOD /route/pattern (credential, body kind)`, for reports. */
  label: string;
  method: string;
  path: string;
  headers: Record<string, string>;
  body: string | undefined;
}

type Credential = 'attacker' | 'admin' | 'none' | 'bad_token' | 'cookie_foreign_origin' | 'cookie_no_origin';

/** Routes whose success with the attacker's own credentials would end the run (they delete or sign out A). */
const SELF_DESTRUCTIVE = new Set(['DELETE /v1/me', 'POST /v1/auth/logout']);

function idFor(op: Operation, param: string, ids: TenantIds): string {
  if (param === 'team') return op.method === 'GET' && ids.teamSlug && op.path.endsWith(':team') ? ids.teamSlug : ids.teamId;
  if (param === 'user') return ids.userId;
  if (param === 'name') return ids.credentialName;
  if (op.path.includes('/deployments/')) return ids.deploymentId;
  if (op.path.includes('/invitations/')) return ids.invitationId;
  if (op.path.includes('/keys/')) return ids.keyId;
  if (op.path.includes('/admin/users/')) return ids.userId;
  return ids.teamId;
}

function pathParam(rng: Rng, op: Operation, param: string, world: FuzzWorld, credential: Credential): string {
  const roll = rng.float();
  // Own ids never for DELETE (it would destroy the fixtures), and admins are only aimed at made-up users.
  const mayUseReal = credential !== 'admin' && !(op.method === 'DELETE' && roll < 0.3);
  if (roll < 0.3 && mayUseReal) return encodeURIComponent(idFor(op, param, world.own));
  if (roll < 0.6 && credential !== 'admin') return encodeURIComponent(idFor(op, param, world.other));
  if (roll < 0.7) return rng.pick(['dep_00000000000000000000', 'team_00000000000000000000', 'usr_00000000000000000000', 'key_00000000000000000000', 'MISSING_NAME']);
  return hostileSegment(rng);
}

function credentialFor(rng: Rng, op: Operation): Credential {
  const roll = rng.float();
  let credential: Credential =
    roll < 0.65 ? 'attacker' : roll < 0.75 ? 'none' : roll < 0.85 ? 'bad_token' : roll < 0.93 ? 'cookie_foreign_origin' : 'cookie_no_origin';
  if (op.path.startsWith('/v1/admin') && rng.chance(0.6)) credential = 'admin';
  if (SELF_DESTRUCTIVE.has(`${op.method} ${op.path}`) && (credential === 'attacker' || credential === 'admin')) credential = 'none';
  return credential;
}

function authHeaders(rng: Rng, credential: Credential, world: FuzzWorld): Record<string, string> {
  switch (credential) {
    case 'attacker':
      return { ...world.attacker.keyHeaders };
    case 'admin':
      return { ...world.admin.keyHeaders };
    case 'none':
      return {};
    case 'bad_token':
      return rng.chance(0.5) ? { authorization: hostileHeaderValue(rng) } : { cookie: `hangar_session=${rng.pick(['', 'x', 'a'.repeat(4000), '%00', '__proto__'])}` };
    case 'cookie_foreign_origin':
      return { cookie: world.attacker.cookie, origin: rng.pick(['https://evil.example', 'null', 'http://localhost:8080.evil.example', 'HTTP://LOCALHOST:8080']) };
    case 'cookie_no_origin':
      return { cookie: world.attacker.cookie };
  }
}

function bodyFor(rng: Rng, schema: JsonSchema | undefined, resolve: (s: JsonSchema) => JsonSchema): { kind: string; text: string | undefined; contentType: string | undefined } {
  const json = 'application/json';
  const base = () => (schema ? plausibleValue(schema, resolve, rng) : {});
  const roll = rng.float();
  if (!schema && rng.chance(0.75)) return { kind: 'none', text: undefined, contentType: undefined };
  if (roll < 0.35) return { kind: 'mutated', text: JSON.stringify(mutate(base(), rng)), contentType: json };
  if (roll < 0.45) return { kind: 'plausible', text: JSON.stringify(base()), contentType: json };
  if (roll < 0.55) return { kind: 'hostile_value', text: JSON.stringify(mutate(null, rng)), contentType: json };
  if (roll < 0.65) {
    const merged = Object.assign(pollutedObject(rng), base() as object);
    return { kind: 'polluted', text: JSON.stringify(merged), contentType: json };
  }
  if (roll < 0.75) return { kind: 'malformed', text: malformedJson(rng), contentType: json };
  if (roll < 0.8) return { kind: 'deep', text: deeplyNested(rng.pick([64, 1000, 10_000, 100_000]), rng.chance(0.5) ? 'array' : 'object'), contentType: json };
  if (roll < 0.84) return { kind: 'oversized', text: JSON.stringify({ name: 'x'.repeat(1_100_000) }), contentType: json };
  const contentType = rng.pick(['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/json; charset=utf-16', 'application/xml', 'application/json;;', '']);
  return { kind: 'wrong_type', text: rng.chance(0.5) ? JSON.stringify(base()) : `a=1&__proto__[polluted]=yes&${hostileString(rng).slice(0, 200)}`, contentType };
}

/** encodeURIComponent that survives lone surrogates (sent as U+FFFD, as a browser would). */
function encode(text: string): string {
  return encodeURIComponent(text.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd'));
}

function queryFor(rng: Rng, op: Operation): string {
  const pairs: string[] = [];
  for (const name of op.queryParams) {
    if (!rng.chance(0.6)) continue;
    const value = rng.pick(['10', '-1', '0', '1000000', '1.5', 'abc', '', 'running', 'dep_00000000000000000000', hostileString(rng).slice(0, 2000)]);
    pairs.push(`${encode(rng.chance(0.1) ? '__proto__' : name)}=${rng.chance(0.8) ? encode(value) : hostileSegment(rng)}`);
  }
  if (rng.chance(0.1)) pairs.push(`${encode(name(rng))}=x`, 'limit=1&limit=2');
  return pairs.length > 0 ? `?${pairs.join('&')}` : '';
}

function name(rng: Rng): string {
  return rng.pick(['__proto__[polluted]', 'constructor[prototype][polluted]', 'a'.repeat(500), '', '%00']);
}

/** Builds one random, mostly hostile request for `op`. */
export function buildRequest(rng: Rng, op: Operation, world: FuzzWorld, resolve: (s: JsonSchema) => JsonSchema): FuzzRequest {
  const credential = credentialFor(rng, op);
  let path = op.path;
  for (const param of op.pathParams) path = path.replace(`:${param}`, pathParam(rng, op, param, world, credential));
  path += queryFor(rng, op);
  const body = op.method === 'GET' || op.method === 'HEAD' ? { kind: 'none', text: undefined, contentType: undefined } : bodyFor(rng, op.body, resolve);
  const headers: Record<string, string> = authHeaders(rng, credential, world);
  if (body.contentType) headers['content-type'] = body.contentType;
  if (rng.chance(0.3)) {
    const header = rng.pick(['x-request-id', 'idempotency-key', 'origin', 'accept', 'mcp-session-id', 'mcp-protocol-version', 'x-forwarded-for', 'fly-client-ip', 'accept-encoding', 'if-none-match']);
    headers[header] = hostileHeaderValue(rng);
  }
  return { label: `${op.method} ${op.path} (${credential}, ${body.kind})`, method: op.method, path, headers, body: body.text };
}
