import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { PolicyError, UnavailableError, ValidationError } from '../http/errors.ts';
import type { Admission } from './admission.ts';
import { FakeNpmRegistry } from './fakes/fake-npm-registry.ts';
import { createAdmissionHarness, type AdmissionHarness } from './test-admission.ts';

const OLD = '2026-01-10T10:00:00.000Z';
let npm: FakeNpmRegistry;
let h: AdmissionHarness;
let admission: Admission;
let seq = 0;
/** A fresh package name per test, so the shared cache never leaks between tests. */
let pkg: string;

beforeAll(async () => {
  npm = await FakeNpmRegistry.start();
  h = await createAdmissionHarness();
  admission = h.admission({ npm: npm.url });
});
afterAll(async () => {
  await npm.close();
  await h.dispose();
});
beforeEach(() => {
  pkg = `hangar-test-pkg-${++seq}`;
  npm.server.setDelay(0);
  npm.server.setDown(false);
});

const errorOf = async (p: Promise<unknown>) => p.then(() => { throw new Error('expected a rejection'); }, (e: unknown) => e);

describe('npm admission: resolution', () => {
  it('pins latest and records integrity, tarball and the npx command', async () => {
    npm.publish(pkg, [{ version: '1.0.0', publishedAt: OLD }, { version: '1.1.0', publishedAt: OLD }]);
    const verdict = await admission.validatePackage(`npm:${pkg}`);
    expect(verdict).toEqual({
      ok: true,
      runtime: 'npm',
      name: pkg,
      version: '1.1.0',
      integrity: expect.stringMatching(/^sha512-[A-Za-z0-9+/]+=*$/),
      tarball: `${npm.server.url}/${pkg}/-/${pkg}-1.1.0.tgz`,
      command: ['npx', '-y', `${pkg}@1.1.0`],
      flags: [],
    });
  });

  it.each([
    ['1.0.0', '1.0.0'],
    ['^1.0.0', '1.2.0'],
    ['~1.0.0', '1.0.1'],
    ['next', '2.0.0-beta.1'],
    ['>=1.0.0', '1.2.0'],
  ])('resolves %s to exactly %s', async (range, expected) => {
    npm.publish(
      pkg,
      ['1.0.0', '1.0.1', '1.2.0', '2.0.0-beta.1'].map((version) => ({ version, publishedAt: OLD })),
      { latest: '1.2.0', next: '2.0.0-beta.1' },
    );
    expect((await admission.validatePackage(`npm:${pkg}@${range}`)).version).toBe(expected);
  });

  it('prefers a non-deprecated version inside a range', async () => {
    npm.publish(pkg, [{ version: '1.0.0', publishedAt: OLD }, { version: '1.1.0', publishedAt: OLD, deprecated: 'broken' }], { latest: '1.0.0' });
    expect((await admission.validatePackage(`npm:${pkg}@^1.0.0`)).version).toBe('1.0.0');
  });

  it('resolves scoped names (URL-escaped on the wire)', async () => {
    const scoped = `@hangar-test/${pkg}`;
    npm.publish(scoped, [{ version: '3.0.0', publishedAt: OLD }]);
    const verdict = await admission.validatePackage(`npm:${scoped}@3.0.0`);
    expect(verdict.command).toEqual(['npx', '-y', `${scoped}@3.0.0`]);
    expect(npm.server.requests.at(-1)).toBe(`/@hangar-test%2f${pkg}`);
  });

  it('answers 422 package_not_found for a missing package', async () => {
    const error = await errorOf(admission.validatePackage(`npm:${pkg}`));
    expect(error).toBeInstanceOf(PolicyError);
    expect(error).toMatchObject({ status: 422, code: 'package_not_found', message: `npm package "${pkg}" not found` });
  });

  it('answers 422 version_not_found when nothing matches', async () => {
    npm.publish(pkg, [{ version: '1.0.0', publishedAt: OLD }]);
    expect(await errorOf(admission.validatePackage(`npm:${pkg}@^2.0.0`))).toMatchObject({ status: 422, code: 'version_not_found' });
    expect(await errorOf(admission.validatePackage(`npm:${pkg}@beta`))).toMatchObject({ status: 422, code: 'version_not_found' });
  });

  it('answers 422 for unpublished packages and versions', async () => {
    npm.unpublishAll(pkg, '2026-02-01T00:00:00.000Z');
    expect(await errorOf(admission.validatePackage(`npm:${pkg}`))).toMatchObject({ status: 422, code: 'package_unpublished' });
    const other = `${pkg}-b`;
    npm.publish(other, [{ version: '1.0.0', publishedAt: OLD }, { version: '1.0.1', publishedAt: OLD }]);
    npm.unpublishVersion(other, '1.0.0');
    expect(await errorOf(admission.validatePackage(`npm:${other}@1.0.0`))).toMatchObject({ status: 422, code: 'version_unpublished' });
  });

  it('answers 400 for an invalid name or range, before any registry call', async () => {
    const before = npm.server.requests.length;
    for (const spec of ['npm:Bad Name', 'npm:../etc', 'npm:UPPER', 'npm:x@not a range', 'npm:', 'left-pad', 'pip:x']) {
      expect(await errorOf(admission.validatePackage(spec)), spec).toBeInstanceOf(ValidationError);
    }
    expect(npm.server.requests.length).toBe(before);
  });
});

describe('npm admission: rules and flags', () => {
  it('rejects a deprecated version with the registry message', async () => {
    npm.publish(pkg, [{ version: '1.0.0', publishedAt: OLD, deprecated: 'Package no longer supported. Use @x/y' }]);
    const verdict = await admission.validatePackage(`npm:${pkg}`);
    expect(verdict.ok).toBe(false);
    expect(verdict.rejected).toEqual({ code: 'deprecated', message: `${pkg}@1.0.0 is deprecated: Package no longer supported. Use @x/y` });
    await expect(admission.admitPackage(`npm:${pkg}`)).rejects.toMatchObject({ status: 422, code: 'deprecated' });
  });

  it('rejects a package without bin, and one without dist.integrity', async () => {
    npm.publish(pkg, [{ version: '1.0.0', publishedAt: OLD, bin: null, integrity: null }]);
    const verdict = await admission.validatePackage(`npm:${pkg}`);
    expect(verdict.flags.map((f) => [f.code, f.severity])).toEqual([['no_bin', 'reject'], ['no_integrity', 'reject']]);
    expect(verdict.rejected?.code).toBe('no_bin');
  });

  it('flags install scripts, and rejects them when the policy says so', async () => {
    npm.publish(pkg, [{ version: '1.0.0', publishedAt: OLD, scripts: { postinstall: 'node steal.js', test: 'x' } }]);
    const warned = await admission.validatePackage(`npm:${pkg}`);
    expect(warned.ok).toBe(true);
    expect(warned.flags).toEqual([{ code: 'install_scripts', severity: 'warn', message: `${pkg}@1.0.0 runs install scripts (postinstall)` }]);
    const rejected = await admission.validatePackage(`npm:${pkg}`, { rejectInstallScripts: true });
    expect(rejected.rejected).toEqual({ code: 'install_scripts', message: `${pkg}@1.0.0 runs install scripts (postinstall)` });
  });

  it('treats a node-gyp build as an install script', async () => {
    npm.publish(pkg, [{ version: '1.0.0', publishedAt: OLD, gypfile: true }]);
    expect((await admission.validatePackage(`npm:${pkg}`)).flags[0]?.message).toContain('install (node-gyp rebuild)');
  });

  it('flags a version younger than 72 h, and rejects under the policy threshold', async () => {
    const fiveHoursAgo = new Date(h.clock.now().getTime() - 5 * 3_600_000).toISOString();
    const eightyHoursAgo = new Date(h.clock.now().getTime() - 80 * 3_600_000).toISOString();
    npm.publish(pkg, [{ version: '1.0.0', publishedAt: eightyHoursAgo }, { version: '1.0.1', publishedAt: fiveHoursAgo }]);
    expect((await admission.validatePackage(`npm:${pkg}`)).flags).toEqual([
      { code: 'recently_published', severity: 'warn', message: `${pkg}@1.0.1 was published 5 h ago (under 72 h)` },
    ]);
    expect((await admission.validatePackage(`npm:${pkg}@1.0.0`)).flags).toEqual([]);
    const strict = await admission.validatePackage(`npm:${pkg}@1.0.0`, { rejectYoungerThanHours: 96 });
    expect(strict.rejected).toEqual({ code: 'recently_published', message: `${pkg}@1.0.0 was published 80 h ago (under 96 h)` });
  });

  it('flags a typosquat of a well-known MCP package, and rejects it under the policy', async () => {
    const squat = '@modelcontextprotocol/server-filesystm';
    npm.publish(squat, [{ version: '0.6.2', publishedAt: OLD }]);
    const verdict = await admission.validatePackage(`npm:${squat}`);
    expect(verdict.flags).toEqual([
      { code: 'possible_typosquat', severity: 'warn', message: `"${squat}" looks like the well-known package "@modelcontextprotocol/server-filesystem"` },
    ]);
    expect((await admission.validatePackage(`npm:${squat}`, { rejectTyposquats: true })).rejected?.code).toBe('possible_typosquat');
  });

  it('answers 400 for a malformed policy', async () => {
    npm.publish(pkg, [{ version: '1.0.0', publishedAt: OLD }]);
    await expect(admission.validatePackage(`npm:${pkg}`, { rejectYoungerThanHours: -1 })).rejects.toBeInstanceOf(ValidationError);
  });
});

describe('npm admission: cache, single-flight and failures', () => {
  it('shares one registry request among concurrent validations and caches the answer until the TTL', async () => {
    npm.publish(pkg, [{ version: '1.0.0', publishedAt: OLD }]);
    npm.server.setDelay(80);
    const path = `/${pkg}`;
    const verdicts = await Promise.all(Array.from({ length: 8 }, () => admission.validatePackage(`npm:${pkg}`)));
    expect(new Set(verdicts.map((v) => v.version))).toEqual(new Set(['1.0.0']));
    expect(npm.server.requests.filter((p) => p === path)).toHaveLength(1);
    await admission.validatePackage(`npm:${pkg}@1.0.0`);
    expect(npm.server.requests.filter((p) => p === path)).toHaveLength(1);
    const row = await h.db.packageCache.findUniqueOrThrow({ where: { key: `npm:packument:${pkg}` } });
    expect(row.expiresAt.getTime() - row.fetchedAt.getTime()).toBe(5 * 60_000);
    h.clock.advance(5 * 60_000);
    await admission.validatePackage(`npm:${pkg}`);
    expect(npm.server.requests.filter((p) => p === path)).toHaveLength(2);
  });

  it('retries 5xx answers and succeeds', async () => {
    npm.publish(pkg, [{ version: '1.0.0', publishedAt: OLD }]);
    npm.server.failNext(2, 502);
    expect((await admission.validatePackage(`npm:${pkg}`)).version).toBe('1.0.0');
    expect(npm.server.requests.filter((p) => p === `/${pkg}`)).toHaveLength(3);
  });

  it('answers 503 registry_unavailable (never not-found) when 5xx persists, and caches nothing', async () => {
    npm.publish(pkg, [{ version: '1.0.0', publishedAt: OLD }]);
    npm.server.failNext(3, 503);
    const error = await errorOf(admission.validatePackage(`npm:${pkg}`));
    expect(error).toBeInstanceOf(UnavailableError);
    expect(error).toMatchObject({ status: 503, code: 'registry_unavailable', message: 'The npm registry is unavailable (HTTP 503); try again later' });
    expect(await h.db.packageCache.findUnique({ where: { key: `npm:packument:${pkg}` } })).toBeNull();
    expect((await admission.validatePackage(`npm:${pkg}`)).version).toBe('1.0.0');
  });

  it('answers 503 when the registry resets every connection', async () => {
    npm.server.setDown(true);
    expect(await errorOf(admission.validatePackage(`npm:${pkg}`))).toMatchObject({ status: 503, code: 'registry_unavailable' });
    expect(npm.server.requests.filter((p) => p === `/${pkg}`)).toHaveLength(3);
  });

  it('answers 503 when the registry is too slow', async () => {
    npm.publish(pkg, [{ version: '1.0.0', publishedAt: OLD }]);
    npm.server.setDelay(1_000);
    const error = await errorOf(admission.validatePackage(`npm:${pkg}`));
    expect(error).toMatchObject({ status: 503, message: 'The npm registry is unavailable (no answer within 0.4 s); try again later' });
  });

  it('does not retry a non-retryable answer (401) and still answers 503', async () => {
    npm.server.failNext(1, 401);
    expect(await errorOf(admission.validatePackage(`npm:${pkg}`))).toMatchObject({ status: 503, message: 'The npm registry is unavailable (HTTP 401); try again later' });
    expect(npm.server.requests.filter((p) => p === `/${pkg}`)).toHaveLength(1);
  });

  it('answers 503 for a malformed packument', async () => {
    npm.serveRaw(pkg, { versions: 'nope' });
    expect(await errorOf(admission.validatePackage(`npm:${pkg}`))).toMatchObject({ status: 503, message: 'The npm registry is unavailable (malformed packument); try again later' });
  });
});
