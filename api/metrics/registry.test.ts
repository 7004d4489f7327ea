import { describe, expect, it } from 'vitest';
import { ExpositionParseError, parseExposition, sampleValue } from './parse-exposition.ts';
import { MetricDefinitionError, MetricsRegistry } from './registry.ts';

describe('metrics registry', () => {
  it('renders counters, gauges and histograms that the strict parser reads back exactly', () => {
    const r = new MetricsRegistry();
    const requests = r.counter('t_requests_total', 'Requests', ['route', 'status']);
    const depth = r.gauge('t_depth', 'Depth');
    const latency = r.histogram('t_seconds', 'Latency', ['route'], [0.1, 1]);
    requests.inc({ route: '/a/:id', status: '200' });
    requests.inc({ route: '/a/:id', status: '200' }, 2);
    requests.inc({ route: '/b', status: '404' });
    depth.set({}, 7);
    depth.add({}, -2);
    for (const v of [0.05, 0.1, 0.5, 3]) latency.observe({ route: '/a/:id' }, v);

    const text = r.render();
    const parsed = parseExposition(text);
    expect(parsed.types.get('t_requests_total')).toBe('counter');
    expect(parsed.types.get('t_seconds')).toBe('histogram');
    expect(sampleValue(parsed, 't_requests_total', { route: '/a/:id', status: '200' })).toBe(3);
    expect(sampleValue(parsed, 't_requests_total', { route: '/b', status: '404' })).toBe(1);
    expect(sampleValue(parsed, 't_depth')).toBe(5);
    // Buckets are cumulative: le=0.1 holds 0.05 and 0.1; le=1 adds 0.5; +Inf holds all four.
    expect(sampleValue(parsed, 't_seconds_bucket', { route: '/a/:id', le: '0.1' })).toBe(2);
    expect(sampleValue(parsed, 't_seconds_bucket', { route: '/a/:id', le: '1' })).toBe(3);
    expect(sampleValue(parsed, 't_seconds_bucket', { route: '/a/:id', le: '+Inf' })).toBe(4);
    expect(sampleValue(parsed, 't_seconds_count', { route: '/a/:id' })).toBe(4);
    expect(sampleValue(parsed, 't_seconds_sum', { route: '/a/:id' })).toBeCloseTo(3.65, 10);
    expect(text).toContain('# TYPE t_depth gauge\nt_depth 5\n');
  });

  it('escapes label values and help text so hostile values cannot forge samples', () => {
    const r = new MetricsRegistry();
    const c = r.counter('t_total', 'Help with \\ and\nnewline', ['route']);
    const hostile = '/x"} 999\nt_total{route="forged';
    c.inc({ route: hostile });
    const text = r.render();
    expect(text).toContain('# HELP t_total Help with \\\\ and\\nnewline');
    const parsed = parseExposition(text);
    expect(parsed.samples.filter((s) => s.name === 't_total')).toEqual([{ name: 't_total', labels: { route: hostile }, value: 1 }]);
  });

  it('refuses bad names, unknown labels, negative counter steps and duplicate metrics', () => {
    const r = new MetricsRegistry();
    expect(() => r.counter('bad-name', 'x')).toThrow(MetricDefinitionError);
    expect(() => r.counter('t_x', 'x', ['le'])).toThrow(MetricDefinitionError);
    expect(() => r.histogram('t_h', 'x', [], [])).toThrow(MetricDefinitionError);
    const c = r.counter('t_c', 'x', ['a']);
    expect(() => c.inc({ b: '1' })).toThrow(MetricDefinitionError);
    expect(() => c.inc({ a: '1' }, -1)).toThrow(MetricDefinitionError);
    expect(() => r.gauge('t_c', 'again')).toThrow(MetricDefinitionError);
  });

  it('the parser rejects malformed expositions', () => {
    expect(() => parseExposition('x 1\n')).toThrow(ExpositionParseError); // no TYPE
    expect(() => parseExposition('# TYPE x counter\nx{a="1} 1\n')).toThrow(ExpositionParseError);
    expect(() => parseExposition('# TYPE x counter\nx{a="\\q"} 1\n')).toThrow(ExpositionParseError);
    expect(() => parseExposition('# TYPE x counter\nx one\n')).toThrow(ExpositionParseError);
    expect(() => parseExposition('# TYPE x counter\nx 1')).toThrow(ExpositionParseError); // no final newline
    expect(parseExposition('# TYPE x counter\nx{a="1",b="2"} +Inf\n').samples[0]).toEqual({ name: 'x', labels: { a: '1', b: '2' }, value: Infinity });
  });
});
