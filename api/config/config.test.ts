import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ConfigError, EnvSchema, loadConfig } from './config.ts';

function problems(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

describe('loadConfig', () => {
  it('runs with no configuration at all: embedded database, local driver, loopback', () => {
    const config = loadConfig({});
    expect(config.database.kind).toBe('embedded');
    expect(config.fly.driver).toBe('local');
    expect(config.host).toBe('127.0.0.1');
    expect(config.port).toBe(8080);
    expect(config.publicUrl).toBe('http://127.0.0.1:8080');
  });

  it('listens on all interfaces by default with an external database', () => {
    const config = loadConfig({ DATABASE_URL: 'postgres://u:p@db.example.com/hangar', DATABASE_CA_CERT: '-----BEGIN CERTIFICATE-----\nx\n-----END CERTIFICATE-----' });
    expect(config.host).toBe('0.0.0.0');
  });

  it('names the setting and the value for a bad port', () => {
    expect(problems({ PORT: 'abc' })).toEqual(['PORT: must be a whole number (got "abc")']);
    expect(problems({ PORT: '70000' })[0]).toMatch(/^PORT: /);
  });

  it('lists every problem at once, without echoing secret values', () => {
    const found = problems({
      PORT: 'abc',
      LOG_LEVEL: 'loud',
      FLY_API_TOKEN: 'fm2_supersecret',
      HANGAR_CORS_ORIGINS: 'https://ok.example,not an origin',
      METRICS_TOKEN: 'short-secret',
    });
    expect(found.map((p) => p.split(':')[0]).sort()).toEqual([
      'LOG_LEVEL',
      'METRICS_TOKEN',
      'PORT',
    ]);
    expect(found.join('\n')).not.toContain('short-secret');
  });

  it('checks settings that only make sense together', () => {
    expect(problems({ FLY_API_TOKEN: 'fm2_x' }).sort()).toEqual([
      'FLY_ORG: required when FLY_API_TOKEN is set (the organization that owns tenant apps)',
      'HANGAR_RUNNER_IMAGE: required when FLY_API_TOKEN is set (runner image pinned by digest)',
    ]);
    expect(problems({ HANGAR_CORS_ORIGINS: 'https://ok.example,not an origin' })).toEqual([
      'HANGAR_CORS_ORIGINS: "not an origin" is not an origin (scheme://host[:port])',
    ]);
    expect(problems({ NODE_ENV: 'production' })).toEqual([
      'HANGAR_PUBLIC_URL: required in production (links in mail and MCP endpoint URLs)',
    ]);
    expect(problems({ HANGAR_RUNNER_IMAGE: 'registry.fly.io/hangar-runner:latest' })[0]).toMatch(/^HANGAR_RUNNER_IMAGE: must be pinned by digest/);
  });

  it('refuses an unverified remote database and a CA that is neither PEM nor a file', () => {
    expect(problems({ DATABASE_URL: 'postgres://u:p@10.1.2.3/hangar?sslmode=disable' })[0]).toMatch(/^DATABASE_URL: sslmode=disable/);
    expect(problems({ DATABASE_URL: 'postgres://u:p@db.example.com/hangar', DATABASE_CA_CERT: '/nonexistent/ca.pem' })).toEqual([
      'DATABASE_CA_CERT: not PEM text and no file at /nonexistent/ca.pem',
    ]);
    expect(problems({ DATABASE_URL: 'mysql://u:p@db.example.com/hangar' })[0]).toMatch(/scheme must be postgres/);
  });

  it('names the instance after the Fly machine unless HANGAR_INSTANCE_ID says otherwise', () => {
    expect(loadConfig({ FLY_MACHINE_ID: '3d8d9015f10e89' }).instanceId).toBe('3d8d9015f10e89');
    expect(loadConfig({ FLY_MACHINE_ID: '3d8d9015f10e89', HANGAR_INSTANCE_ID: 'api-1' }).instanceId).toBe('api-1');
    expect(loadConfig({}).instanceId).toBeUndefined();
  });

  it('allows plaintext to a loopback database', () => {
    const config = loadConfig({ DATABASE_URL: 'postgres://u:p@127.0.0.1:5432/hangar?sslmode=disable' });
    expect(config.database).toMatchObject({ kind: 'external', insecure: true });
  });
});

describe('.env.example', () => {
  it('documents exactly the variables the config schema reads', () => {
    const text = readFileSync(new URL('../../.env.example', import.meta.url), 'utf8');
    const documented = [...text.matchAll(/^#?\s*([A-Z][A-Z0-9_]+)=/gm)].map((m) => m[1]);
    expect([...new Set(documented)].sort()).toEqual(Object.keys(EnvSchema.shape).sort());
  });
});
