import { countOf, printable } from '../../src/core/text';

describe('countOf', () => {
  test.each([
    [0, 'minute', undefined, '0 minutes'],
    [1, 'minute', undefined, '1 minute'],
    [2, 'minute', undefined, '2 minutes'],
    [1, 'entry', 'entries', '1 entry'],
    [3, 'entry', 'entries', '3 entries'],
    [-1, 'second', undefined, '-1 seconds'],
  ])('%d %s', (count, unit, plural, expected) => {
    expect(countOf(count, unit, plural)).toBe(expected);
  });

  test('a value cut by one character says so in the singular', () => {
    expect(printable('y'.repeat(257))).toBe(`${'y'.repeat(256)}…(1 more character)`);
  });
});
