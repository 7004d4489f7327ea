import { describe, expect, it } from 'vitest';
import type { TemplateField } from './fields.ts';
import { mergeFingerprint, mergeTemplateValues, resolveField, type FieldCandidates, type StoredValue } from './merge.ts';

const plain = (value: string): StoredValue => ({ kind: 'plain', value });
const field = (over: Partial<TemplateField> = {}): TemplateField => ({ name: 'F', type: 'string', required: true, description: '', tier: 'user', ...over });

type Team = 'unset' | 'set' | 'locked';
type Row = [defaultSet: boolean, team: Team, user: boolean, expected: 'none' | 'template' | 'team' | 'user'];

/**
 * Every combination of template default (set/unset) x team value (unset/set/locked) x user value
 * (set/unset), with the winner written out by hand: default < team < user, a locked team value wins.
 */
const TABLE: Row[] = [
  [false, 'unset', false, 'none'],
  [false, 'unset', true, 'user'],
  [false, 'set', false, 'team'],
  [false, 'set', true, 'user'],
  [false, 'locked', false, 'team'],
  [false, 'locked', true, 'team'],
  [true, 'unset', false, 'template'],
  [true, 'unset', true, 'user'],
  [true, 'set', false, 'team'],
  [true, 'set', true, 'user'],
  [true, 'locked', false, 'team'],
  [true, 'locked', true, 'team'],
];

function candidatesFor(team: Team, user: boolean): FieldCandidates {
  return {
    ...(team !== 'unset' ? { team: { value: plain('team'), locked: team === 'locked' } } : {}),
    ...(user ? { user: plain('user') } : {}),
  };
}

describe('tier merge: template default < team < user, locked team wins', () => {
  for (const [defaultSet, team, user, expected] of TABLE) {
    it(`default ${defaultSet ? 'set' : 'unset'}, team ${team}, user ${user ? 'set' : 'unset'} -> ${expected}`, () => {
      const f = field(defaultSet ? { default: 'template' } : {});
      const got = resolveField(f, candidatesFor(team, user));
      if (expected === 'none') {
        expect(got).toBeUndefined();
        expect(mergeTemplateValues([f], () => candidatesFor(team, user)).missing).toEqual(['F']);
      } else {
        expect(got).toEqual({ source: expected, value: plain(expected) });
        expect(mergeTemplateValues([f], () => candidatesFor(team, user)).missing).toEqual([]);
      }
    });
  }

  it('a per-deployment value beats the user value, but not a locked team value', () => {
    expect(resolveField(field(), { team: { value: plain('team'), locked: false }, user: plain('user'), deployment: plain('dep') })).toEqual({ source: 'deployment', value: plain('dep') });
    expect(resolveField(field(), { team: { value: plain('team'), locked: true }, user: plain('user'), deployment: plain('dep') })).toEqual({ source: 'team', value: plain('team') });
  });

  it('a team-tier field ignores user and deployment values; a template-tier field ignores team values too', () => {
    const all: FieldCandidates = { team: { value: plain('team'), locked: false }, user: plain('user'), deployment: plain('dep') };
    expect(resolveField(field({ tier: 'team' }), all)).toEqual({ source: 'team', value: plain('team') });
    expect(resolveField(field({ tier: 'team' }), { user: plain('user') })).toBeUndefined();
    expect(resolveField(field({ tier: 'template', default: 'd' }), all)).toEqual({ source: 'template', value: plain('d') });
  });

  it('an optional field without a value is neither resolved nor missing; secrets resolve to their ciphertext', () => {
    const secret: StoredValue = { kind: 'secret', ciphertext: 'gAAAA-x', keyId: 'k1' };
    const merged = mergeTemplateValues([field({ name: 'OPT', required: false }), field({ name: 'TOKEN', type: 'secret' })], (name) => (name === 'TOKEN' ? { user: secret } : {}));
    expect(merged.missing).toEqual([]);
    expect([...merged.resolved.keys()]).toEqual(['TOKEN']);
    expect(mergeFingerprint(merged.resolved)).toBe(JSON.stringify([['TOKEN', 'user', 'gAAAA-x']]));
  });

  it('the fingerprint changes with the value or its source, not with field order', () => {
    const a = mergeTemplateValues([field({ name: 'A' }), field({ name: 'B' })], (n) => ({ user: plain(n) })).resolved;
    const b = mergeTemplateValues([field({ name: 'B' }), field({ name: 'A' })], (n) => ({ user: plain(n) })).resolved;
    const c = mergeTemplateValues([field({ name: 'A' }), field({ name: 'B' })], (n) => ({ team: { value: plain(n), locked: false } })).resolved;
    expect(mergeFingerprint(a)).toBe(mergeFingerprint(b));
    expect(mergeFingerprint(a)).not.toBe(mergeFingerprint(c));
  });
});
