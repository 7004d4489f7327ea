import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAdmissionHarness, type AdmissionHarness } from './test-admission.ts';

const NAME = '@modelcontextprotocol/server-everything';

/** The version and integrity npm itself locked for the devDependency: the live registry must agree. */
function lockedEntry(): { version: string; integrity: string } {
  const lock = JSON.parse(readFileSync(new URL('../../package-lock.json', import.meta.url), 'utf8')) as {
    packages: Record<string, { version: string; integrity: string }>;
  };
  return lock.packages[`node_modules/${NAME}`]!;
}

let h: AdmissionHarness;
beforeAll(async () => {
  h = await createAdmissionHarness();
});
afterAll(async () => h.dispose());

describe('live npm registry', () => {
  it(`validates ${NAME} and pins the exact version and integrity npm locked`, async () => {
    const locked = lockedEntry();
    const admission = h.liveNpmAdmission();
    const verdict = await admission.validatePackage(`npm:${NAME}@${locked.version}`);
    expect(verdict).toMatchObject({
      ok: true,
      runtime: 'npm',
      name: NAME,
      version: locked.version,
      integrity: locked.integrity,
      tarball: `https://registry.npmjs.org/${NAME}/-/server-everything-${locked.version}.tgz`,
      command: ['npx', '-y', `${NAME}@${locked.version}`],
    });
    expect(verdict.flags.filter((f) => f.severity === 'reject')).toEqual([]);

    const latest = await admission.validatePackage(`npm:${NAME}`);
    expect(latest.version).toMatch(/^\d+\.\d+\.\d+$/);
    expect(latest.command).toEqual(['npx', '-y', `${NAME}@${latest.version}`]);
  });
});
