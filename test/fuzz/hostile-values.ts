import type { Rng } from './rng.ts';

/**
 * Hostile inputs: strings, values, JSON texts and path segments that have broken APIs before (wrong types,
 * huge and deeply nested input, prototype-pollution keys, Unicode tricks, NUL and CRLF, traversal, encodings).
 */

const UNICODE = [
  'ｍｅ＠ｅｘａｍｐｌｅ．ｃｏｍ', // full-width
  'a\u0301\u0301\u0301', // combining marks
  '\u202eevil\u202c', // bidi override
  '\u200b\u200c\u200d\ufeff', // zero-width and BOM
  '😀👩‍👩‍👧‍👦🏳️‍🌈',
  '\ud800', // lone surrogate
  'İıſK', // case-folding traps
  '𝕒𝕕𝕞𝕚𝕟',
];

const STRUCTURAL = [
  '',
  ' ',
  '\u0000',
  'a\u0000b',
  '\r\n',
  'x\r\nSet-Cookie: hangar_session=forged',
  '../../../../etc/passwd',
  '..%2f..%2f..%2fetc%2fpasswd',
  '%2e%2e%2f%2e%2e%2f',
  '%00',
  '%',
  '%zz',
  '\\..\\..\\windows',
  "' OR '1'='1' --",
  '"; DROP TABLE users; --',
  '$(id)',
  '`id`',
  '${7*7}',
  '{{7*7}}',
  '<script>alert(1)</script>',
  'javascript:alert(1)',
  'http://169.254.169.254/latest/meta-data/',
  'file:///etc/passwd',
  '__proto__',
  'constructor',
  'prototype',
  'null',
  'undefined',
  'NaN',
  '-1',
  '1e309',
  '0x7fffffff',
  'true',
  '[]',
  '{}',
];

/** A hostile string, sometimes long; up to 900 KB when `huge` allows (one per body at most). */
export function hostileString(rng: Rng, huge = true): string {
  const roll = huge ? rng.float() : rng.float() * 0.95;
  if (roll < 0.45) return rng.pick(STRUCTURAL);
  if (roll < 0.7) return rng.pick(UNICODE);
  if (roll < 0.85) return rng.pick(['a', 'é', '\u0000', '😀', '%']).repeat(rng.pick(huge ? [256, 4096, 65_536] : [256, 4096]));
  if (roll < 0.95) return `${rng.pick(STRUCTURAL)}${rng.pick(UNICODE)}${rng.pick(STRUCTURAL)}`;
  return 'x'.repeat(rng.pick([300_000, 900_000]));
}

/** A hostile JSON value of any type. */
export function hostileValue(rng: Rng, depth = 0): unknown {
  const roll = rng.float();
  if (roll < 0.3) return hostileString(rng, depth === 0);
  if (roll < 0.45) return rng.pick([0, -1, 1.5, -0, 2 ** 31, 2 ** 53 + 1, -(2 ** 63), 1e308, Number.MAX_SAFE_INTEGER, 0.1 + 0.2]);
  if (roll < 0.55) return rng.pick([true, false, null]);
  if (roll < 0.7 && depth < 3) {
    const length = rng.pick([0, 1, 3, 1000]);
    return Array.from({ length }, () => (length < 10 && rng.chance(0.5) ? hostileValue(rng, depth + 1) : 'x'));
  }
  if (roll < 0.85 && depth < 3) return pollutedObject(rng, depth + 1);
  return rng.pick([{}, [], [[]], [{}], { '': '' }]);
}

/** An object carrying prototype-pollution keys next to hostile values. */
export function pollutedObject(rng: Rng, depth = 0): Record<string, unknown> {
  const obj: Record<string, unknown> = JSON.parse(
    rng.pick([
      '{"__proto__":{"polluted":"yes","isAdmin":true,"globalRole":"admin"}}',
      '{"constructor":{"prototype":{"polluted":"yes"}}}',
      '{"__proto__":[],"length":1e9}',
      '{"toString":"x","valueOf":"y","hasOwnProperty":"z"}',
    ]),
  ) as Record<string, unknown>;
  if (depth < 3 && rng.chance(0.5)) obj[hostileKey(rng)] = hostileValue(rng, depth + 1);
  return obj;
}

/** A hostile object key. */
export function hostileKey(rng: Rng): string {
  return rng.pick(['__proto__', 'constructor', 'prototype', '', ' ', '\u0000', 'a.b', 'a[0]', '$where', '$ne', 'x'.repeat(10_000), '😀', 'id', 'teamId', 'userId', 'globalRole', 'role']);
}

/** JSON text nested `depth` levels deep (built as text: no recursion here). */
export function deeplyNested(depth: number, kind: 'array' | 'object'): string {
  return kind === 'array' ? `${'['.repeat(depth)}${']'.repeat(depth)}` : `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
}

/** Body texts that are not valid JSON (or barely are). */
export function malformedJson(rng: Rng): string {
  return rng.pick([
    '',
    '{',
    '{"a":}',
    '{"a":1,}',
    "{'a':1}",
    'nul',
    '\ufeff{}',
    '{"a":"\u0000"}',
    '{"a":1}{"a":2}',
    '[1,2',
    '"unterminated',
    '{"a":NaN}',
    '{"a":Infinity}',
    '1'.repeat(10_000),
    '{"a":"\\ud800"}',
    '{"__proto__":{"polluted":"yes"}}',
    '\u0000\u0000\u0000',
    '{"a":1,"a":2,"a":3}',
  ]);
}

/** A path segment for a `{param}`: traversal, encodings, overlong, Unicode, NUL, injections. */
export function hostileSegment(rng: Rng): string {
  return rng.pick([
    '..',
    '%2e%2e',
    '..%2f..%2fetc%2fpasswd',
    '%252e%252e%252f',
    '%00',
    'dep_%00',
    '%0d%0aX-Injected:%201',
    '%E2%80%AE',
    '%F0%9F%98%80',
    '%C0%AE%C0%AE',
    '%ff%fe',
    '%',
    'a'.repeat(rng.pick([65, 1024, 8000])),
    encodeURIComponent("' OR 1=1 --"),
    encodeURIComponent('__proto__'),
    'constructor',
    encodeURIComponent('<script>'),
    'dep_' + '0'.repeat(20),
    'team_' + 'z'.repeat(20),
    '-1',
    '0',
    '1e309',
    'null',
    encodeURIComponent(' '),
    '~',
    encodeURIComponent('Ｄｅｐ'),
  ]);
}

/** Hostile header values an HTTP client can carry (printable Latin-1; CR, LF and NUL go over raw sockets). */
export function hostileHeaderValue(rng: Rng): string {
  return rng.pick([
    '',
    ' ',
    'x'.repeat(rng.pick([100, 4000])),
    '../../etc/passwd',
    "' OR 1=1 --",
    '\u00e9\u00ff',
    'Bearer',
    'Bearer ',
    'Bearer hgr_' + 'a'.repeat(20),
    'Bearer hgr_' + 'A'.repeat(64),
    'Basic YWRtaW46YWRtaW4=',
    'FlyV1 fm2_abc',
    '__proto__',
    '{"a":1}',
    'null',
  ]);
}
