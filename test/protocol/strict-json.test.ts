import { parseStrictJson } from '../../src/protocol/strict-json';

describe('strict JSON for tokens', () => {
  test.each([['{"a":1,"b":[true,false,null,"x",-1.5e3],"c":{"d":"\\u00e9"}}'], ['  {}  '], ['[]'], ['"text"']])(
    'reads what JSON.parse reads: %s',
    (text) => {
      expect(parseStrictJson(text)).toEqual({ ok: true, value: JSON.parse(text) });
    },
  );

  test.each([
    ['{"Type":"a","Type":"b"}', /duplicate key "Type"/],
    ['{"Type":"a","\\u0054ype":"b"}', /duplicate key "Type"/],
    ['{"x":{"alg":"none","alg":"RS256"}}', /duplicate key "alg"/],
    ['{"a":1,}', /expected a key/],
    ['{"a":1} x', /unexpected text/],
    ['{"a":01}', /expected ',' or '}'/],
    ['{"a":"line\nbreak"}', /expected a value|expected a string/],
    ['[1,2', /expected ',' or ']'/],
    [`${'['.repeat(40)}${']'.repeat(40)}`, /nesting deeper than 32/],
  ])('refuses %s', (text, defect) => {
    const result = parseStrictJson(text);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.defect).toMatch(defect);
  });

  test('__proto__ is an ordinary key, not a prototype', () => {
    const result = parseStrictJson('{"__proto__":{"polluted":true}}');
    expect(result.ok).toBe(true);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
