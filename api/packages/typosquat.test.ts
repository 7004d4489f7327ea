import { describe, expect, it } from 'vitest';
import { editDistance, findTyposquatTarget, loadWellKnownPackages } from './typosquat.ts';

const known = loadWellKnownPackages();

describe('editDistance', () => {
  it.each([
    ['', '', 0],
    ['abc', 'abc', 0],
    ['abc', 'abd', 1],
    ['abc', 'acb', 1],
    ['abc', 'ab', 1],
    ['kitten', 'sitting', 3],
  ])('%s vs %s = %i', (a, b, d) => expect(editDistance(a, b)).toBe(d));
});

describe('findTyposquatTarget', () => {
  it.each([
    ['@modelcontextprotocol/server-filesystm', '@modelcontextprotocol/server-filesystem'],
    ['@modelcontextprotoco1/server-everything', '@modelcontextprotocol/server-everything'],
    ['@modelcontextprotocl/server-memroy', '@modelcontextprotocol/server-memory'],
    ['server-everything', '@modelcontextprotocol/server-everything'],
    ['mcp-remotee', 'mcp-remote'],
  ])('flags npm %s as imitating %s', (name, target) => expect(findTyposquatTarget(name, known.npm)).toBe(target));

  it.each([['mcp-server-fecth', 'mcp-server-fetch'], ['fastmpc', 'fastmcp']])('flags PyPI %s as imitating %s', (name, target) =>
    expect(findTyposquatTarget(name, known.pypi)).toBe(target),
  );

  it.each(['@modelcontextprotocol/server-everything', '@Modelcontextprotocol/Server-Memory', 'left-pad', 'express', 'my-own-mcp-server'])(
    'does not flag %s',
    (name) => expect(findTyposquatTarget(name, known.npm)).toBeUndefined(),
  );
  it('does not flag a short unrelated PyPI name', () => expect(findTyposquatTarget('requests', known.pypi)).toBeUndefined());
});
