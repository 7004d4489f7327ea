import { describe, expect, it } from 'vitest';
import { HOSTILE_LAUNCH_SPECS } from './hostile-corpus.ts';
import { createTestResolver } from './test-resolver.ts';
import { validateLaunchSpec } from './validate-launch-spec.ts';

describe('hostile launch-spec corpus', () => {
  it('holds at least 200 hostile inputs across every category', () => {
    expect(HOSTILE_LAUNCH_SPECS.length).toBeGreaterThanOrEqual(200);
    expect(new Set(HOSTILE_LAUNCH_SPECS.map((c) => c.category))).toEqual(
      new Set(['shell', 'encoding', 'unicode', 'overlong', 'crlf', 'env', 'command', 'inline-code', 'ssrf', 'header']),
    );
  });

  it('accepts none of them, and names a path and rule for each refusal', async () => {
    const accepted: string[] = [];
    for (const [index, { spec, pinned, category }] of HOSTILE_LAUNCH_SPECS.entries()) {
      const result = await validateLaunchSpec(spec, { resolveHost: createTestResolver(), pinned });
      if (result.ok) {
        accepted.push(`#${index} ${category}: ${JSON.stringify(spec).slice(0, 120)}`);
        continue;
      }
      for (const issue of result.issues) {
        expect(issue.path.length).toBeGreaterThan(0);
        expect(issue.rule).toMatch(/^[a-z_]+$/);
      }
    }
    expect(accepted).toEqual([]);
  });
});
