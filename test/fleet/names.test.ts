import { checkNames, nameAt, parseNamePattern } from '../../src/fleet/names';

function thrown(work: () => unknown): unknown {
  try {
    work();
  } catch (error) {
    return error;
  }
  return undefined;
}

describe('fleet name patterns (pure)', () => {
  test('{n} and {n:05}: the client number, plain or zero-padded, names upper-case', () => {
    expect(nameAt(parseNamePattern('LAB-{n:05}'), 7)).toBe('LAB-00007');
    expect(nameAt(parseNamePattern('lab-{n:05}'), 123456)).toBe('LAB-123456');
    expect(nameAt(parseNamePattern('PC{n}'), 42)).toBe('PC42');
    expect(nameAt(parseNamePattern('{n:03}-X'), 5)).toBe('005-X');
  });

  test.each([
    ['LAB', /has no \{n\}/],
    ['A{n}B{n}', /more than one \{n\}/],
    ['A{n:5}', /has no \{n\}/],
    ['A{x}{n}', /brace outside/],
  ])('%p is refused', (pattern, message) => {
    expect(() => parseNamePattern(pattern)).toThrow(message);
  });

  test('every name up to the count must be a NetBIOS name: 15 characters at most, letters, digits and -', () => {
    expect(() => checkNames(parseNamePattern('FLEET{n:05}'), 99_999)).not.toThrow();
    expect(() => checkNames(parseNamePattern('FLEETCLIENT{n:04}'), 9999)).not.toThrow();
    expect(() => checkNames(parseNamePattern('FLEETCLIENT{n:04}'), 10_000)).toThrow(
      /makes 'FLEETCLIENT10000' for client 10000, which is not a NetBIOS name/,
    );
    expect(() => checkNames(parseNamePattern('LAB_{n}'), 3)).toThrow(/'LAB_1'/);
    expect(() => checkNames(parseNamePattern('-{n}'), 3)).toThrow(/'-1'/);
    expect(thrown(() => checkNames(parseNamePattern('LAB.{n}'), 1))).toMatchObject({ code: 'CCMLAB_E_BAD_OPTION' });
  });
});
