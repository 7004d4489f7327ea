import { describe, expect, it } from 'vitest';
import { checkFieldList, envText, parseFieldValue, type FieldType, type TemplateField } from './fields.ts';

const f = (type: FieldType, over: Partial<TemplateField> = {}): TemplateField => ({ name: 'X', type, required: false, description: '', tier: 'user', ...over });

describe('field type validation', () => {
  const cases: Array<[FieldType, unknown, { ok: true; value: unknown } | { ok: false; message: string }]> = [
    ['string', 'hello', { ok: true, value: 'hello' }],
    ['string', 42, { ok: false, message: 'must be a string' }],
    ['string', 'a\u0000b', { ok: false, message: 'must not contain control characters' }],
    ['string', 'x'.repeat(32 * 1024 + 1), { ok: false, message: 'must be at most 32768 bytes' }],
    ['number', 42, { ok: true, value: 42 }],
    ['number', '-1.5', { ok: true, value: -1.5 }],
    ['number', '12abc', { ok: false, message: 'must be a finite number' }],
    ['number', true, { ok: false, message: 'must be a finite number' }],
    ['boolean', true, { ok: true, value: true }],
    ['boolean', 'false', { ok: true, value: false }],
    ['boolean', 'yes', { ok: false, message: 'must be true or false' }],
    ['boolean', 1, { ok: false, message: 'must be true or false' }],
    ['url', 'https://gitlab.example.com/api/v4', { ok: true, value: 'https://gitlab.example.com/api/v4' }],
    ['url', 'http://gitlab.example.com', { ok: false, message: 'must use https' }],
    ['url', 'https://user:pw@example.com', { ok: false, message: 'must not carry credentials' }],
    ['url', 'not a url', { ok: false, message: 'must be an absolute URL' }],
    ['url', 7, { ok: false, message: 'must be a URL string' }],
    ['secret', 'ghp_abc', { ok: true, value: 'ghp_abc' }],
    ['secret', '', { ok: false, message: 'Too small: expected string to have >=1 characters' }],
    ['secret', 5, { ok: false, message: 'Invalid input: expected string, received number' }],
  ];
  for (const [type, raw, want] of cases) {
    it(`${type} ${JSON.stringify(raw).slice(0, 40)} -> ${want.ok ? 'ok' : 'rejected'}`, () => {
      expect(parseFieldValue(f(type), raw)).toEqual(want);
    });
  }

  it('writes numbers and booleans as environment text', () => {
    expect([envText(3), envText(false), envText('s')]).toEqual(['3', 'false', 's']);
  });
});

describe('field list rules', () => {
  it('accepts a realistic list', () => {
    expect(checkFieldList([f('secret', { name: 'TOKEN', required: true }), f('url', { name: 'API_URL', default: 'https://gitlab.com/api/v4', tier: 'team' })])).toEqual([]);
  });

  it('names every broken rule by path', () => {
    expect(
      checkFieldList([
        f('string', { name: 'A' }),
        f('string', { name: 'a' }),
        f('string', { name: 'NODE_OPTIONS' }),
        f('secret', { name: 'S', default: 'x' }),
        f('secret', { name: 'T', tier: 'template' }),
        f('number', { name: 'N', default: 'many' }),
        f('string', { name: 'R', tier: 'template', required: true }),
      ]).map((i) => i.path),
    ).toEqual(['fields[1].name', 'fields[2].name', 'fields[3].default', 'fields[4].tier', 'fields[5].default', 'fields[6].default']);
  });
});
