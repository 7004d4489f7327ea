import { chmodSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { allocateUid, sandboxCommand, UID_BASE, UID_RANGE } from './command.ts';
import { detectSandbox, findExecutable, runtimeEntries } from './detect.ts';
import { localStartPolicy, UnsandboxedPublicHostError } from './start-policy.ts';

describe('detectSandbox', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hangar-detect-'));
  const tool = (name: string) => {
    writeFileSync(join(dir, name), '#!/bin/sh\n');
    chmodSync(join(dir, name), 0o755);
  };

  it('needs bwrap, and setpriv as root; prlimit is optional', () => {
    expect(detectSandbox(dir, false)).toBeUndefined();
    tool('bwrap');
    expect(detectSandbox(dir, false)).toEqual({ bwrap: join(dir, 'bwrap'), setpriv: undefined, prlimit: undefined });
    expect(detectSandbox(dir, true)).toBeUndefined();
    tool('setpriv');
    tool('prlimit');
    expect(detectSandbox(dir, true)).toEqual({ bwrap: join(dir, 'bwrap'), setpriv: join(dir, 'setpriv'), prlimit: join(dir, 'prlimit') });
    expect(detectSandbox(dir, false)?.setpriv).toBeUndefined();
    expect(findExecutable('bwrap', `/nonexistent:${dir}`)).toBe(join(dir, 'bwrap'));
    expect(findExecutable('bwrap', undefined)).toBeUndefined();
    rmSync(dir, { recursive: true, force: true });
  });
});

describe('runtimeEntries', () => {
  it('binds /usr read-only, keeps merged-/usr symlinks as symlinks, and binds a program prefix outside /usr', () => {
    const prefix = mkdtempSync(join(tmpdir(), 'hangar-prefix-'));
    try {
      const entries = runtimeEntries([join(prefix, 'bin', 'node')]);
      expect(entries).toContainEqual({ kind: 'bind', source: '/usr', target: '/usr' });
      expect(entries.some((e) => e.kind === 'bind' && e.target === '/etc/resolv.conf')).toBe(true);
      expect(entries.some((e) => e.kind === 'bind' && (e.target === '/root' || e.target === '/work' || e.target === '/tmp'))).toBe(false);
      // A program that does not exist adds nothing; one under a prefix adds the prefix.
      expect(entries.some((e) => e.kind === 'bind' && e.source === prefix)).toBe(false);
      const bin = mkdtempSync(join(prefix, 'bin-'));
      symlinkSync(process.execPath, join(bin, 'node'));
      // A symlink into /usr is covered by /usr already.
      expect(runtimeEntries([join(bin, 'node')]).some((e) => e.kind === 'bind' && e.source === prefix)).toBe(false);
      // A real program under <prefix>/bin (e.g. a Node installed in /opt): its whole prefix, with npm and npx.
      writeFileSync(join(bin, 'npx'), '');
      expect(runtimeEntries([join(bin, 'npx')])).toContainEqual({ kind: 'bind', source: prefix, target: prefix });
    } finally {
      rmSync(prefix, { recursive: true, force: true });
    }
  });
});

describe('sandboxCommand', () => {
  const base = {
    tools: { bwrap: '/usr/bin/bwrap', setpriv: '/usr/bin/setpriv', prlimit: '/usr/bin/prlimit' },
    runtime: [{ kind: 'bind' as const, source: '/usr', target: '/usr' }],
    homeDir: '/data/machines/dep_1/home',
    tmpDir: '/data/machines/dep_1/tmp',
    uid: 2_000_123,
    gid: 2_000_123,
    limits: { addressSpaceBytes: 4096, processes: 64, openFiles: 128 },
    nodePath: '/usr/bin/node',
    command: ['npx', '-y', 'pkg@1.0.0', '/'],
  };

  it('drops to the deployment uid, unshares user/pid/ipc, binds only the runtime and its own dirs, and runs the init inside', () => {
    const cmd = sandboxCommand(base);
    const joined = cmd.join(' ');
    expect(cmd.slice(0, 2)).toEqual(['/usr/bin/node', expect.stringMatching(/host-init\.mjs$/)]);
    expect(joined).toContain('/usr/bin/prlimit --as=4096 --nproc=64 --nofile=128 --');
    expect(joined).toContain('/usr/bin/setpriv --reuid=2000123 --regid=2000123 --clear-groups');
    for (const flag of ['--unshare-user', '--unshare-pid', '--unshare-ipc', '--die-with-parent', '--cap-drop ALL', '--proc /proc']) expect(joined).toContain(flag);
    expect(joined).toContain('--bind /data/machines/dep_1/home /home/mcp --bind /data/machines/dep_1/tmp /tmp');
    expect(joined).not.toMatch(/--bind \/data /);
    expect(cmd.slice(-5)).toEqual(['/.hangar/init.mjs', 'npx', '-y', 'pkg@1.0.0', '/']);
  });

  it('as a non-root operator: no setpriv, and no RLIMIT_NPROC (it would count the operator’s own processes)', () => {
    const joined = sandboxCommand({ ...base, tools: { ...base.tools, setpriv: undefined } }).join(' ');
    expect(joined).not.toContain('setpriv');
    expect(joined).not.toContain('--nproc');
  });
});

describe('allocateUid', () => {
  it('stays in the range, is stable per deployment and moves on when taken', () => {
    const uid = allocateUid('dep_abc', new Set());
    expect(uid).toBeGreaterThanOrEqual(UID_BASE);
    expect(uid).toBeLessThan(UID_BASE + UID_RANGE);
    expect(allocateUid('dep_abc', new Set())).toBe(uid);
    expect(allocateUid('dep_abc', new Set([uid]))).not.toBe(uid);
  });
});

describe('localStartPolicy', () => {
  it('changes nothing with the sandbox or on Fly', () => {
    expect(localStartPolicy({ driver: 'local', sandboxed: true, host: '0.0.0.0', hostGiven: true })).toEqual({ host: '0.0.0.0', singleAccount: false, warnNoSandbox: false });
    expect(localStartPolicy({ driver: 'fly', sandboxed: false, host: '0.0.0.0', hostGiven: true }).singleAccount).toBe(false);
  });

  it('without the sandbox: loopback only, first account only, and a public HOST refuses', () => {
    expect(localStartPolicy({ driver: 'local', sandboxed: false, host: '0.0.0.0', hostGiven: false })).toEqual({ host: '127.0.0.1', singleAccount: true, warnNoSandbox: true });
    expect(localStartPolicy({ driver: 'local', sandboxed: false, host: '::1', hostGiven: true }).host).toBe('::1');
    expect(() => localStartPolicy({ driver: 'local', sandboxed: false, host: '192.168.1.5', hostGiven: true })).toThrow(UnsandboxedPublicHostError);
  });
});
