import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAdmissionHarness, type AdmissionHarness } from '../packages/test-admission.ts';
import { readStarterCatalog } from './starter.ts';

let h: AdmissionHarness;
beforeAll(async () => {
  h = await createAdmissionHarness();
});
afterAll(async () => h.dispose());

describe('starter catalog against the live npm registry', () => {
  const starter = readStarterCatalog();

  it('ships at least 8 templates, npm packages with a version range', () => {
    expect(starter.length).toBeGreaterThanOrEqual(8);
    for (const t of starter) expect(t.package).toMatch(/^npm:[@a-z0-9/._-]+@\^\d+\.\d+\.\d+$/);
  });

  it('every starter package passes Admission (no rejecting flag) and pins an exact version', { timeout: 60_000 }, async () => {
    const admission = h.liveNpmAdmission();
    const verdicts = await Promise.all(starter.map(async (t) => [t.slug, await admission.validatePackage(t.package)] as const));
    for (const [slug, verdict] of verdicts) {
      const name = starter.find((t) => t.slug === slug)!.package.slice(4).replace(/@\^.*$/, '');
      expect({ slug, ok: verdict.ok, rejected: verdict.rejected }).toEqual({ slug, ok: true, rejected: undefined });
      expect(verdict.name).toBe(name);
      expect(verdict.version).toMatch(/^\d+\.\d+\.\d+$/);
      expect(verdict.command).toEqual(['npx', '-y', `${name}@${verdict.version}`]);
    }
  });
});
