import { describe, expect, it } from 'vitest';
import { DriverError } from './driver.ts';
import { classifyFlyFailure, FlyError, isRateLimited, isTransient, readFlyStatus } from './fly-errors.ts';

describe('classifyFlyFailure', () => {
  it('uses the status field before the HTTP code', () => {
    expect(classifyFlyFailure(412, 'insufficient_capacity')).toBe('capacity');
    expect(classifyFlyFailure(422, 'volume_placement_capacity')).toBe('capacity');
    expect(classifyFlyFailure(422, 'name_taken')).toBe('conflict');
  });

  it('maps HTTP codes when the status is unknown', () => {
    expect([404, 409, 412, 408, 429, 500, 503, 400, 401, 403, 422].map((s) => classifyFlyFailure(s, 'unknown'))).toEqual([
      'not_found', 'conflict', 'conflict', 'transient', 'transient', 'transient', 'transient', 'rejected', 'rejected', 'rejected', 'rejected',
    ]);
  });
});

describe('readFlyStatus', () => {
  it('accepts only the documented values', () => {
    expect(readFlyStatus({ error: 'x', status: 'name_taken' })).toBe('name_taken');
    expect(readFlyStatus({ error: 'x', status: 'something_else' })).toBeUndefined();
    expect(readFlyStatus('name_taken')).toBeUndefined();
    expect(readFlyStatus(null)).toBeUndefined();
  });
});

describe('FlyError', () => {
  it('is a DriverError whose message names route and status, never Fly\'s text', () => {
    const error = new FlyError('conflict', 'createApp', 422, 'name_taken', 'req-1');
    expect(error).toBeInstanceOf(DriverError);
    expect(error.message).toBe('Fly createApp failed: 422 (name_taken)');
    expect([error.kind, error.status, error.requestId, error.code]).toEqual(['conflict', 422, 'req-1', 'fly_conflict']);
    expect(isRateLimited(new FlyError('transient', 'getApp', 429, undefined, undefined))).toBe(true);
    expect(isRateLimited(new FlyError('transient', 'getApp', 503, undefined, undefined))).toBe(false);
    expect(isTransient(new FlyError('transient', 'getApp', undefined, undefined, undefined, 'timeout'))).toBe(true);
    expect(isTransient(new Error('plain'))).toBe(false);
  });
});
