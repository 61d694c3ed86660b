import { compileGrep } from '../../src/log/viewer';

describe('--grep', () => {
  test('matches as a regular expression does, in RE2 syntax', () => {
    const grep = compileGrep('Rotating .* point \\[\\d\\]');
    expect(grep.test('Rotating internet management point, new management point [1] is: …')).toBe(true);
    expect(grep.test('Rotating')).toBe(false);
  });

  test("a pattern that backtracks for ever in JavaScript's engine ends on a hostile record", () => {
    // /(a+)+b/ on 100,000 a's would take longer than the universe's age with backtracking.
    expect(compileGrep('(a+)+b').test('a'.repeat(100_000))).toBe(false);
    expect(compileGrep('(.*a){20}').test('a'.repeat(50_000))).toBe(true);
  });

  test('a pattern RE2 cannot take is a usage error naming the option, control characters escaped', () => {
    expect(() => compileGrep('(?<=a)b')).toThrow(
      expect.objectContaining({
        code: 'CCMLAB_E_BAD_OPTION',
        message: expect.stringMatching(/^--grep '\(\?<=a\)b' is not a valid RE2 regular expression/),
      }),
    );
    expect(() => compileGrep('(\n')).toThrow(
      expect.objectContaining({ message: expect.stringMatching(/^--grep '\(\\n'/) }),
    );
  });
});
