import { describe, expect, it } from 'vitest';
import { createFlyHarness } from '../../test/fake-fly/harness.ts';
import { flyAuthorization, readLease } from './fly-wire.ts';

describe('authorization', () => {
  it('picks the scheme from the token', () => {
    expect(flyAuthorization('plain-token')).toBe('Bearer plain-token');
    expect(flyAuthorization('fm2_abc,fm2_def')).toBe('FlyV1 fm2_abc,fm2_def');
    expect(flyAuthorization('fm1r_abc')).toBe('FlyV1 fm1r_abc');
    expect(flyAuthorization('fm1a_abc')).toBe('FlyV1 fm1a_abc');
    expect(flyAuthorization('FlyV1 fm2_abc')).toBe('FlyV1 fm2_abc');
  });

  for (const token of ['fm2_macaroon-token', 'FlyV1 fm2_dashboard-copy', 'plain-bearer-token']) {
    it(`is accepted by the fake for ${token.slice(0, 10)}...`, async () => {
      const harness = await createFlyHarness({ fake: { token } });
      try {
        await harness.client.createApp({ name: 'hangar-team-t', network: 'hangar-team-t-net' });
        expect((await harness.client.getApp('hangar-team-t')).name).toBe('hangar-team-t');
        expect(harness.fake.authorizations[0]).toBe(flyAuthorization(token));
      } finally {
        await harness.close();
      }
    });
  }
});

describe('leases', () => {
  it('readLease reads both shapes and refuses a lease with no nonce', () => {
    expect(readLease({ status: 'success', data: { nonce: 'n1', expires_at: 5, owner: 'o', version: 'v' } })).toEqual({ lease: { nonce: 'n1', expires_at: 5, owner: 'o', version: 'v' }, usable: true });
    expect(readLease({ nonce: 'n2', expires_at: 5 })).toEqual({ lease: { nonce: 'n2', expires_at: 5 }, usable: true });
    expect(readLease({ status: 'success', data: {} })).toEqual({ lease: undefined, usable: true });
    expect(readLease({ status: 'error', message: 'nope' })).toEqual({ lease: undefined, usable: false });
    expect(readLease('garbage')).toEqual({ lease: undefined, usable: false });
  });
});
