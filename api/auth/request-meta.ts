import type { Context } from 'hono';
import { getConnInfo } from '@hono/node-server/conninfo';
import type { AppEnv } from '../http/context.ts';

/**
 * The client's IP: from the trusted proxy header when one is configured (Fly sets `fly-client-ip`), else
 * the socket's address; undefined when neither is known (in-process test requests).
 */
export function clientIp(c: Context<AppEnv>): string | undefined {
  const header = c.get('services').config.auth.trustedProxyHeader;
  if (header) {
    const value = c.req.header(header);
    const first = value?.split(',')[0]?.trim();
    if (first && /^[0-9a-fA-F:.]{2,45}$/.test(first)) return first;
  }
  try {
    return getConnInfo(c).remote.address ?? undefined;
  } catch {
    return undefined;
  }
}

/** The user agent, cut to a sane length for storage. */
export function userAgent(c: Context<AppEnv>): string | undefined {
  return c.req.header('user-agent')?.slice(0, 256);
}

/** IP and request id of this request, for rate limits and audit entries. */
export function requestMeta(c: Context<AppEnv>): { ip: string | undefined; requestId: string | undefined } {
  return { ip: clientIp(c), requestId: c.get('requestId') };
}
