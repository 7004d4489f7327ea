import { describe, expect, it } from 'vitest';
import { samplePlan, TEST_IMAGE } from '../../test/fake-fly/harness.ts';
import { DriverError } from './driver.ts';
import { buildMachineConfig, deploymentSecretName, machineNameFor, packageCommand } from './machine-config.ts';

const options = { runnerImage: TEST_IMAGE, hangarVersion: '0.1.0' };

function rejection(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(DriverError);
    expect((error as DriverError).kind).toBe('rejected');
    return (error as DriverError).message;
  }
  throw new Error('expected a rejection');
}

describe('buildMachineConfig', () => {
  it('builds the whole config: runner under init, guest, restart, check, stop, metadata, a private Flycast service', () => {
    const config = buildMachineConfig(samplePlan(), options);
    expect(config).toEqual({
      image: TEST_IMAGE,
      guest: { cpu_kind: 'shared', cpus: 1, memory_mb: 256 },
      init: {
        entrypoint: ['hangar-runner'],
        cmd: ['--host', '::', '--port', '8080', '--', 'npx', '-y', '@modelcontextprotocol/server-everything@2026.8.31', 'stdio'],
      },
      env: { LOG_LEVEL: 'info', HANGAR_RUNNER_SECRET_NAMES: 'HANGAR_RUNNER_TOKEN,GITHUB_TOKEN' },
      processes: [
        {
          ignore_app_secrets: true,
          secrets: [
            { env_var: 'HANGAR_RUNNER_TOKEN', name: 'DEP_0123456789ABCDEF_HANGAR_RUNNER_TOKEN' },
            { env_var: 'GITHUB_TOKEN', name: 'DEP_0123456789ABCDEF_GITHUB_TOKEN' },
          ],
        },
      ],
      // A private service for Flycast only; no public address is ever allocated (see fly-driver.ts ensureTenant).
      services: [{ protocol: 'tcp', internal_port: 8080, autostop: 'off', autostart: false, ports: [{ port: 80, handlers: ['http'] }] }],
      restart: { policy: 'on-failure', max_retries: 3 },
      checks: {
        runner: { type: 'http', port: 8080, path: '/healthz', method: 'GET', protocol: 'http', interval: '15s', timeout: '5s', grace_period: '30s' },
      },
      stop_config: { signal: 'SIGTERM', timeout: '30s' },
      metadata: { hangar_team: 'team_fedcba9876543210', hangar_deployment: 'dep_0123456789abcdef', hangar_generation: '1', hangar_version: '0.1.0' },
      auto_destroy: false,
    });
  });

  it('runs PyPI packages with uvx', () => {
    const config = buildMachineConfig(samplePlan({ runtime: 'pypi', packageRef: 'mcp-server-fetch==2025.4.7', args: [] }), options);
    expect(config.init?.cmd).toEqual(['--host', '::', '--port', '8080', '--', 'uvx', 'mcp-server-fetch==2025.4.7']);
  });

  it('refuses unpinned images and packages', () => {
    expect(rejection(() => buildMachineConfig(samplePlan(), { ...options, runnerImage: 'registry.fly.io/hangar-runner:latest' }))).toMatch(/digest/);
    expect(rejection(() => buildMachineConfig(samplePlan({ packageRef: 'left-pad@^1.0.0' }), options))).toMatch(/pinned/);
    expect(rejection(() => buildMachineConfig(samplePlan({ packageRef: 'left-pad' }), options))).toMatch(/pinned/);
    expect(rejection(() => packageCommand('pypi', 'requests>=2', []))).toMatch(/name==x\.y\.z/);
  });

  it('refuses a plain variable that shadows a secret, bad names and odd guest sizes', () => {
    expect(rejection(() => buildMachineConfig(samplePlan({ env: { GITHUB_TOKEN: 'x' } }), options))).toMatch(/also a secret/);
    expect(rejection(() => buildMachineConfig(samplePlan({ env: { HANGAR_RUNNER_TOKEN: 'x' } }), options))).toMatch(/also a secret/);
    expect(rejection(() => buildMachineConfig(samplePlan({ env: { 'BAD-NAME': 'x' } }), options))).toMatch(/invalid/);
    expect(rejection(() => buildMachineConfig(samplePlan({ guest: { cpuKind: 'shared', cpus: 1, memoryMb: 300 } }), options))).toMatch(/256/);
    expect(rejection(() => buildMachineConfig(samplePlan({ secretNames: ['a-b'] }), options))).toMatch(/environment variable names/);
  });

  it('never carries a secret value: secrets are referenced by name only', () => {
    const config = buildMachineConfig(samplePlan({ secretNames: ['API_KEY', 'GITHUB_TOKEN'] }), options);
    const text = JSON.stringify(config);
    expect(text).toContain('DEP_0123456789ABCDEF_API_KEY');
    expect(Object.keys(config.env ?? {})).toEqual(['LOG_LEVEL', 'HANGAR_RUNNER_SECRET_NAMES']);
    expect(config.env?.HANGAR_RUNNER_SECRET_NAMES).toBe('HANGAR_RUNNER_TOKEN,API_KEY,GITHUB_TOKEN');
    expect(Object.keys(config.metadata ?? {}).sort()).toEqual(['hangar_deployment', 'hangar_generation', 'hangar_team', 'hangar_version']);
  });
});

describe('names', () => {
  it('are deterministic per deployment', () => {
    expect(deploymentSecretName('dep_abc123', 'GITHUB_TOKEN')).toBe('DEP_ABC123_GITHUB_TOKEN');
    expect(machineNameFor('dep_abc123')).toBe('hangar-dep-abc123');
    expect(machineNameFor('dep_abc123')).toBe(machineNameFor('dep_abc123'));
  });
});
