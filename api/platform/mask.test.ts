import { describe, expect, it } from 'vitest';
import { createLogger } from './logger.ts';
import { maskDeep, maskKnown, maskSecret, SecretRegistry } from './mask.ts';

/** A real pino logger writing JSON lines into memory. */
function captureLogger(knownSecrets: ReadonlySet<string>) {
  const lines: string[] = [];
  const destination = { write: (line: string) => void lines.push(line.trimEnd()) };
  return { logger: createLogger({ level: 'info', destination, knownSecrets }), lines };
}

describe('maskSecret', () => {
  it('keeps the first three characters, or none of a short value', () => {
    expect(maskSecret('ghp_abcdef')).toBe('ghp*****');
    expect(maskSecret('abc')).toBe('***');
    expect(maskSecret('')).toBe('***');
  });
});

describe('SecretRegistry', () => {
  it('is bounded, forgets the least recently added value first, and ignores values too short to mask', () => {
    const registry = new SecretRegistry(3);
    for (const value of ['aaaa1', 'bbbb2', 'cccc3']) registry.add(value);
    registry.add('aaaa1');
    registry.add('dddd4');
    expect([...registry]).toEqual(['cccc3', 'aaaa1', 'dddd4']);
    registry.add('xyz');
    expect(registry.size).toBe(3);
    expect(registry.has('xyz')).toBe(false);
    expect(() => new SecretRegistry(0)).toThrow(RangeError);
  });

  it('masks the longer of two overlapping secrets whole, and URL-encoded forms', () => {
    const registry = new SecretRegistry().add('abcd').add('abcdefgh').add('p@ss:w/rd');
    expect(maskKnown('x abcdefgh y abcd', registry)).toBe('x abc***** y abc*****');
    expect(maskKnown('https://h/?pw=p%40ss%3Aw%2Frd&q=1', registry)).toBe('https://h/?pw=p%4*****&q=1');
    expect(registry.size).toBe(4);
  });

  it('masks a registered value in URLs, headers and env dumps of a real log line, and in the message', () => {
    const secret = 'sk-live-4eC39HqLyjWDarjtT1zdp7dc';
    const registry = new SecretRegistry();
    const { logger, lines } = captureLogger(registry);
    registry.add(secret);
    logger.info(
      {
        url: `https://hooks.example.com/services/${secret}/send?v=1`,
        headers: { 'x-upstream': secret, accept: 'application/json' },
        env: { UPSTREAM: secret, PATH: '/usr/bin' },
        dump: `HOME=/root UPSTREAM=${secret} LANG=C`,
        argv: ['--upstream', secret],
      },
      `calling upstream with ${secret}`,
    );
    expect(lines).toHaveLength(1);
    const line = lines[0] ?? '';
    expect(line).not.toContain(secret);
    expect(line).not.toContain(secret.slice(3, 10));
    const parsed = JSON.parse(line);
    expect(parsed.url).toBe('https://hooks.example.com/services/sk-*****/send?v=1');
    expect(parsed.headers).toEqual({ 'x-upstream': 'sk-*****', accept: 'application/json' });
    expect(parsed.env).toEqual({ UPSTREAM: 'sk-*****', PATH: '/usr/bin' });
    expect(parsed.dump).toBe('HOME=/root UPSTREAM=sk-***** LANG=C');
    expect(parsed.argv).toEqual(['--upstream', 'sk-*****']);
    expect(parsed.msg).toBe('calling upstream with sk-*****');
  });

  it('masks a registered value inside an error message the logger reduces', () => {
    const registry = new SecretRegistry().add('hunter2-correct-horse');
    expect(maskDeep({ err: new Error('login failed for hunter2-correct-horse') }, registry)).toEqual({
      err: { type: 'Error', message: 'login failed for hun*****' },
    });
  });
});
