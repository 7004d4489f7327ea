import { describe, expect, it } from 'vitest';
import { LoadRecorder, markdownTable } from './stats.ts';

describe('LoadRecorder', () => {
  it('computes p50/p99/max per operation, counts errors and expected refusals apart, busiest first', () => {
    const recorder = new LoadRecorder();
    for (let i = 1; i <= 100; i += 1) recorder.record('read', i, 'ok', 200);
    recorder.record('write', 5, 'refused', 409);
    recorder.record('write', 7, 'refused', 409);
    recorder.record('write', 9, 'error', 500, 'internal_error');
    const [read, write] = recorder.summary();
    expect(read).toEqual({ op: 'read', count: 100, errors: 0, refusals: {}, p50Ms: 51, p99Ms: 100, maxMs: 100 });
    expect(write).toEqual({ op: 'write', count: 3, errors: 1, refusals: { 409: 2 }, p50Ms: 7, p99Ms: 9, maxMs: 9 });
    expect(recorder.total()).toBe(103);
    expect(recorder.examples).toEqual(['write 500 internal_error']);
    expect(markdownTable([write!], 2).split('\n')[2]).toBe('| write | 3 | 1.5 | 7.0 | 9.0 | 9.0 | 1 | 2×409 |');
  });
});
