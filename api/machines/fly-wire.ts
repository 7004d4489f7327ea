/** How Hangar reads and writes Fly's wire details that are not one call: the auth scheme and the two lease shapes. */
import type { FlyLease } from './fly-types.ts';

const MACAROON = /^(fm1r_|fm1a_|fm2_)/;

/**
 * The Authorization header for a Fly token: macaroons (`fm1r_`, `fm1a_`, `fm2_`) use the `FlyV1` scheme,
 * a token already reading `FlyV1 ...` is used as is, anything else is a `Bearer` token.
 */
export function flyAuthorization(token: string): string {
  const value = token.trim();
  if (/^FlyV1\s+\S/.test(value)) return value;
  return MACAROON.test(value) ? `FlyV1 ${value}` : `Bearer ${value}`;
}

/**
 * A lease from either shape: real Fly's envelope (fly-go `MachineLease.Data`) or the spec's bare `Lease`.
 * An envelope whose `status` is present and not `success` is unusable even if it names a nonce.
 */
export function readLease(body: unknown): { lease: FlyLease | undefined; usable: boolean } {
  if (!body || typeof body !== 'object') return { lease: undefined, usable: false };
  const record = body as Record<string, unknown>;
  if ('data' in record || (typeof record.status === 'string' && !('nonce' in record))) {
    const data = record.data;
    const lease = data && typeof data === 'object' ? (data as FlyLease) : undefined;
    const usable = record.status === undefined || record.status === 'success';
    return { lease: typeof lease?.nonce === 'string' && lease.nonce !== '' ? lease : undefined, usable };
  }
  const lease = body as FlyLease;
  return { lease: typeof lease.nonce === 'string' && lease.nonce !== '' ? lease : undefined, usable: true };
}
