import { BoundedMemo } from '../../src/core/bounded-memo';

/** Made once per key while kept; past its size the oldest is forgotten; a throw keeps nothing. */

test('a value is made once per key, the oldest forgotten first when full, and a failed make is tried again', () => {
  const memo = new BoundedMemo<number>(2);
  let made = 0;
  const make = (n: number) => () => {
    made++;
    return n;
  };
  expect([memo.get('a', make(1)), memo.get('a', make(9)), memo.get('b', make(2))]).toEqual([1, 1, 2]);
  expect(made).toBe(2);
  memo.get('c', make(3));
  expect(memo.get('a', make(4))).toBe(4);
  expect(memo.get('c', make(9))).toBe(3);
  expect(() =>
    memo.get('d', () => {
      throw new Error('bad bytes');
    }),
  ).toThrow('bad bytes');
  expect(memo.get('d', make(5))).toBe(5);
});
