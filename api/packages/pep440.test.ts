import { describe, expect, it } from 'vitest';
import { comparePep440, parsePep440, parseSpecifierSet, satisfiesSpecifiers, specifiersAllowPrerelease } from './pep440.ts';

const v = (text: string) => {
  const parsed = parsePep440(text);
  if (!parsed) throw new Error(`not a version: ${text}`);
  return parsed;
};

describe('parsePep440', () => {
  it('parses every segment', () => {
    expect(v('1!2.3.4rc1.post2.dev3+abc.1')).toMatchObject({ epoch: 1, release: [2, 3, 4], pre: [2, 1], post: 2, dev: 3, local: 'abc.1' });
    expect(v('1.0-1')).toMatchObject({ post: 1, pre: undefined, dev: undefined });
    expect(v('1.0.dev0')).toMatchObject({ dev: 0, post: undefined });
    expect(v('0.6.0')).toMatchObject({ release: [0, 6, 0], pre: undefined, post: undefined, dev: undefined });
  });
  it('rejects what is not a version', () => {
    for (const bad of ['', 'latest', '1..2', '1.0; rm -rf', '1.0 2.0', '../1']) expect(parsePep440(bad)).toBeUndefined();
  });
});

describe('comparePep440', () => {
  it('orders dev < pre < final < post', () => {
    const ordered = ['1.0.dev1', '1.0a1.dev1', '1.0a1', '1.0b2', '1.0rc1', '1.0', '1.0.post1.dev1', '1.0.post1', '1.1', '1!0.1'];
    for (let i = 0; i + 1 < ordered.length; i += 1) expect(comparePep440(v(ordered[i]!), v(ordered[i + 1]!)), ordered[i]).toBe(-1);
    expect(comparePep440(v('1.0'), v('1.0.0'))).toBe(0);
  });
});

describe('specifier sets', () => {
  const table: Array<[string, string, boolean]> = [
    ['==1.2.3', '1.2.3', true],
    ['==1.2.3', '1.2.4', false],
    ['==1.2.*', '1.2.9', true],
    ['==1.2.*', '1.3.0', false],
    ['!=3.0.*', '3.0.1', false],
    ['!=3.0.*', '3.1.0', true],
    ['>=1.0,<2', '1.9.9', true],
    ['>=1.0,<2', '2.0', false],
    ['~=1.4.2', '1.4.9', true],
    ['~=1.4.2', '1.5.0', false],
    ['~=1.4', '1.9', true],
    ['~=1.4', '2.0', false],
    ['>1.0', '1.0.post1', false],
    ['<2.0', '2.0rc1', false],
    ['>=3.10', '3.12', true],
    ['>=3.13', '3.12', false],
    ['===1.0', '1.0', true],
    ['===1.0', '1.0.0', false],
  ];
  it.each(table)('%s against %s -> %s', (spec, version, expected) => {
    const parsed = parseSpecifierSet(spec);
    expect(parsed).toBeDefined();
    expect(satisfiesSpecifiers(v(version), parsed!)).toBe(expected);
  });
  it('rejects malformed specifier sets', () => {
    for (const bad of ['1.0', '>=', '~=1', '>=1.*', '==1.0;id', '>= 1.0 || <2']) expect(parseSpecifierSet(bad), bad).toBeUndefined();
  });
  it('lets pre-releases match only when a clause names one', () => {
    expect(specifiersAllowPrerelease(parseSpecifierSet('>=1.0')!)).toBe(false);
    expect(specifiersAllowPrerelease(parseSpecifierSet('>=1.0rc1')!)).toBe(true);
  });
});
