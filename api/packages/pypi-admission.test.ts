import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { PolicyError, ValidationError } from '../http/errors.ts';
import type { Admission } from './admission.ts';
import { fakeSha256, FakePypi } from './fakes/fake-pypi.ts';
import { createAdmissionHarness, type AdmissionHarness } from './test-admission.ts';

const OLD = '2026-01-10T10:00:00.000000Z';
let pypi: FakePypi;
let h: AdmissionHarness;
let admission: Admission;
let seq = 0;
let name: string;
let stem: string;

beforeAll(async () => {
  pypi = await FakePypi.start();
  h = await createAdmissionHarness();
  admission = h.admission({ pypi: pypi.url });
});
afterAll(async () => {
  await pypi.close();
  await h.dispose();
});
beforeEach(() => {
  seq += 1;
  name = `mcp-test-proj-${seq}`;
  stem = `mcp_test_proj_${seq}`;
  pypi.server.setDelay(0);
  pypi.server.setDown(false);
});

const wheel = { kind: 'wheel' as const, uploadedAt: OLD };
const sdist = { kind: 'sdist' as const, uploadedAt: OLD };
const errorOf = async (p: Promise<unknown>) => p.then(() => { throw new Error('expected a rejection'); }, (e: unknown) => e);

describe('PyPI admission: resolution', () => {
  it('pins the newest final release, records the wheel sha256 and the uvx command', async () => {
    pypi.publish(name, [
      { version: '0.9.0', files: [wheel, sdist] },
      { version: '1.0.0', files: [wheel, sdist], requiresPython: '>=3.10' },
      { version: '1.1.0rc1', files: [wheel] },
    ]);
    const verdict = await admission.validatePackage(`pypi:${name}`);
    expect(verdict).toEqual({
      ok: true,
      runtime: 'pypi',
      name,
      version: '1.0.0',
      sha256: fakeSha256(`${stem}-1.0.0-py3-none-any.whl`),
      tarball: `https://files.example/packages/${stem}-1.0.0-py3-none-any.whl`,
      command: ['uvx', `${name}==1.0.0`],
      flags: [],
    });
  });

  it('normalises names per PEP 503 (Mixed_Case.Name -> mixed-case-name)', async () => {
    pypi.publish(`Mcp_Test.Proj-${seq}`, [{ version: '1.0.0', files: [wheel] }]);
    const verdict = await admission.validatePackage(`pypi:MCP__Test..Proj_${seq}`);
    expect(verdict.name).toBe(name);
    expect(pypi.server.requests).toContain(`/pypi/${name}/json`);
  });

  it.each([
    ['==1.0.0', '1.0.0'],
    ['>=1.0,<2', '1.5.0'],
    ['~=1.0', '1.5.0'],
    ['~=1.0.0', '1.0.3'],
    ['==2.0.0b1', '2.0.0b1'],
    ['>=2.0.0b1', '2.0.0b1'],
    ['!=1.5.0,<2', '1.0.3'],
  ])('resolves %s to exactly %s', async (spec, expected) => {
    pypi.publish(name, ['1.0.0', '1.0.3', '1.5.0', '2.0.0b1'].map((version) => ({ version, files: [wheel] })));
    expect((await admission.validatePackage(`pypi:${name}${spec}`)).version).toBe(expected);
  });

  it('skips yanked releases in ranges but rejects a pinned yanked release with its reason', async () => {
    pypi.publish(name, [
      { version: '1.0.0', files: [wheel] },
      { version: '1.1.0', files: [wheel], yanked: true, yankedReason: 'leaks credentials' },
    ]);
    expect((await admission.validatePackage(`pypi:${name}`)).version).toBe('1.0.0');
    const pinned = await admission.validatePackage(`pypi:${name}==1.1.0`);
    expect(pinned.ok).toBe(false);
    expect(pinned.rejected).toEqual({ code: 'yanked', message: `${name} 1.1.0 was yanked: leaks credentials` });
  });

  it('answers 422 for a missing project or version, and 400 for bad specs', async () => {
    expect(await errorOf(admission.validatePackage(`pypi:${name}`))).toMatchObject({ status: 422, code: 'package_not_found', message: `PyPI project "${name}" not found` });
    pypi.publish(name, [{ version: '1.0.0', files: [wheel] }]);
    // "Not found" is cached for 30 s only, so a project published meanwhile appears soon after.
    expect(await errorOf(admission.validatePackage(`pypi:${name}`))).toMatchObject({ code: 'package_not_found' });
    h.clock.advance(30_000);
    expect((await admission.validatePackage(`pypi:${name}`)).version).toBe('1.0.0');
    const missing = await errorOf(admission.validatePackage(`pypi:${name}==9.9`));
    expect(missing).toBeInstanceOf(PolicyError);
    expect(missing).toMatchObject({ code: 'version_not_found' });
    for (const bad of [`pypi:${name}@1.0`, `pypi:${name}==1.0;id`, 'pypi:-bad', `pypi:${name}>=`, 'pypi:']) {
      expect(await errorOf(admission.validatePackage(bad)), bad).toBeInstanceOf(ValidationError);
    }
  });
});

describe('PyPI admission: rules and flags', () => {
  it('rejects an sdist-only release', async () => {
    pypi.publish(name, [{ version: '1.0.0', files: [sdist] }]);
    const verdict = await admission.validatePackage(`pypi:${name}`);
    expect(verdict.rejected).toEqual({ code: 'sdist_only', message: `${name} 1.0.0 has no wheel; installing its sdist would run setup.py` });
    expect(verdict.sha256).toBeUndefined();
  });

  it('rejects a release whose wheels do not fit the runner, and picks a fitting platform wheel', async () => {
    pypi.publish(name, [{ version: '1.0.0', files: [{ ...wheel, tags: 'cp312-cp312-macosx_11_0_arm64' }, { ...wheel, tags: 'cp311-cp311-manylinux_2_17_x86_64' }] }]);
    expect((await admission.validatePackage(`pypi:${name}`)).rejected?.code).toBe('no_compatible_wheel');
    const other = `${name}-b`;
    pypi.publish(other, [{ version: '1.0.0', files: [{ ...wheel, tags: 'cp312-cp312-macosx_11_0_arm64' }, { ...wheel, tags: 'cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64' }] }]);
    const verdict = await admission.validatePackage(`pypi:${other}`);
    expect(verdict.ok).toBe(true);
    expect(verdict.tarball).toContain('manylinux_2_17_x86_64');
  });

  it('rejects a release whose requires_python excludes the runner (3.12)', async () => {
    pypi.publish(name, [{ version: '1.0.0', files: [wheel], requiresPython: '>=3.13' }]);
    expect((await admission.validatePackage(`pypi:${name}`)).rejected).toEqual({
      code: 'python_incompatible',
      message: `${name} 1.0.0 requires Python >=3.13; the runner has 3.12`,
    });
    const other = `${name}-b`;
    pypi.publish(other, [{ version: '1.0.0', files: [wheel], requiresPython: '>=3.8, !=3.9.*, <4' }]);
    expect((await admission.validatePackage(`pypi:${other}`)).ok).toBe(true);
  });

  it('flags a release younger than 72 h and a typosquat name', async () => {
    const squat = 'mcp-server-fecth';
    const recent = new Date(h.clock.now().getTime() - 2 * 3_600_000).toISOString();
    pypi.publish(squat, [{ version: '0.1.0', files: [{ kind: 'wheel', uploadedAt: recent }] }]);
    const verdict = await admission.validatePackage(`pypi:${squat}`);
    expect(verdict.flags).toEqual([
      { code: 'recently_published', severity: 'warn', message: `${squat}@0.1.0 was published 2 h ago (under 72 h)` },
      { code: 'possible_typosquat', severity: 'warn', message: `"${squat}" looks like the well-known package "mcp-server-fetch"` },
    ]);
    const strict = await admission.validatePackage(`pypi:${squat}`, { rejectYoungerThanHours: 24, rejectTyposquats: true });
    expect(strict.flags.map((f) => f.severity)).toEqual(['reject', 'reject']);
    expect(strict.rejected?.code).toBe('recently_published');
  });
});

describe('PyPI admission: failures', () => {
  it('retries 5xx and then answers', async () => {
    pypi.publish(name, [{ version: '1.0.0', files: [wheel] }]);
    pypi.server.failNext(2, 500);
    expect((await admission.validatePackage(`pypi:${name}`)).version).toBe('1.0.0');
  });

  it('answers 503 (never not-found) on a persistent 5xx, an outage or a timeout', async () => {
    pypi.server.failNext(3, 503);
    expect(await errorOf(admission.validatePackage(`pypi:${name}`))).toMatchObject({
      status: 503,
      code: 'registry_unavailable',
      message: 'The PyPI registry is unavailable (HTTP 503); try again later',
    });
    pypi.server.setDown(true);
    expect(await errorOf(admission.validatePackage(`pypi:${name}`))).toMatchObject({ status: 503, code: 'registry_unavailable' });
    pypi.server.setDown(false);
    pypi.server.setDelay(1_000);
    expect(await errorOf(admission.validatePackage(`pypi:${name}`))).toMatchObject({
      status: 503,
      message: 'The PyPI registry is unavailable (no answer within 0.4 s); try again later',
    });
  });

  it('caches project and release answers in PostgreSQL and shares concurrent lookups', async () => {
    pypi.publish(name, [{ version: '1.0.0', files: [wheel] }]);
    pypi.server.setDelay(50);
    await Promise.all(Array.from({ length: 6 }, () => admission.validatePackage(`pypi:${name}`)));
    await admission.validatePackage(`pypi:${name}==1.0.0`);
    expect(pypi.server.requests.filter((p) => p.startsWith(`/pypi/${name}/`))).toEqual([`/pypi/${name}/json`, `/pypi/${name}/1.0.0/json`]);
    const keys = (await h.db.packageCache.findMany({ where: { key: { contains: name } } })).map((r) => r.key).sort();
    expect(keys).toEqual([`pypi:project:${name}`, `pypi:release:${name}:1.0.0`]);
  });
});
