import type { JSONRPCRequest } from '@modelcontextprotocol/sdk/types.js';
import { LEGACY_VERSIONS, META_CLIENT_CAPABILITIES, META_CLIENT_INFO, META_PROTOCOL_VERSION, MODERN_VERSION } from './stateless/classify.ts';

type Json = Record<string, unknown>;

/**
 * Which revision the stdio server itself speaks: `legacy` (initialize + one session, nearly every published
 * server) or `modern` (it answered the runner's `server/discover` probe as a 2026-07-28 server, e.g. one built
 * on SDK v2's serveStdio). `discover` is that answer, cached for the connection's lifetime.
 */
export type UpstreamEra = { kind: 'legacy' } | { kind: 'modern'; discover: Json };

/** The `_meta` envelope a 2026-07-28 request carries; the runner's own requests use `RUNNER_ENVELOPE`. */
export interface Envelope {
  capabilities: Json;
  clientInfo: { name: string; version: string } | undefined;
}
export const RUNNER_ENVELOPE: Envelope = { capabilities: {}, clientInfo: { name: 'hangar-runner', version: '1.0.0' } };

const SERVER_INFO = 'io.modelcontextprotocol/serverInfo';
const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);

/** `params` with the 2026-07-28 envelope in `_meta` (keys the caller already set are kept). */
export function withEnvelope(params: Json | undefined, envelope: Envelope): Json {
  const meta = isObject(params?._meta) ? params._meta : {};
  const reserved: Json = { [META_PROTOCOL_VERSION]: MODERN_VERSION, [META_CLIENT_CAPABILITIES]: envelope.capabilities };
  if (envelope.clientInfo) reserved[META_CLIENT_INFO] = envelope.clientInfo;
  return { ...params, _meta: { ...reserved, ...meta } };
}

/** The runner's `server/discover` request (probe and, for a modern server, the health check). */
export function discoverRequest(id: number): JSONRPCRequest {
  return { jsonrpc: '2.0', id, method: 'server/discover', params: withEnvelope(undefined, RUNNER_ENVELOPE) };
}

/**
 * The DiscoverResult in a probe's answer when it is definitive modern evidence (a result whose
 * `supportedVersions` names 2026-07-28); anything else (an error, no answer, another shape) is undefined,
 * and the runner falls back to `initialize`.
 */
export function modernDiscoverOf(answer: unknown): Json | undefined {
  if (!isObject(answer) || !isObject(answer.result)) return undefined;
  const versions = answer.result.supportedVersions;
  return Array.isArray(versions) && versions.includes(MODERN_VERSION) ? answer.result : undefined;
}

/**
 * The InitializeResult a session client gets from a modern stdio server, built from its DiscoverResult: the
 * client's own version when the runner speaks it (else the newest session revision), the server's
 * capabilities, serverInfo (from `_meta`) and instructions.
 */
export function initializeResultFrom(discover: Json, requested: unknown): Json {
  const versions: readonly string[] = LEGACY_VERSIONS;
  const protocolVersion = typeof requested === 'string' && versions.includes(requested) ? requested : LEGACY_VERSIONS[0];
  const meta = isObject(discover._meta) ? discover._meta : {};
  const serverInfo = isObject(meta[SERVER_INFO]) ? meta[SERVER_INFO] : { name: 'mcp-server', version: '0.0.0' };
  const result: Json = { protocolVersion, capabilities: isObject(discover.capabilities) ? discover.capabilities : {}, serverInfo };
  if (typeof discover.instructions === 'string') result.instructions = discover.instructions;
  return result;
}

/** The envelope of a session client, from its `initialize` params. */
export function envelopeOfInitialize(params: Json | undefined): Envelope {
  const info = params?.clientInfo;
  return {
    capabilities: isObject(params?.capabilities) ? params.capabilities : {},
    clientInfo: isObject(info) && typeof info.name === 'string' && typeof info.version === 'string' ? { name: info.name, version: info.version } : undefined,
  };
}
