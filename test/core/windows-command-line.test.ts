import { quoteWindowsArgument, splitWindowsCommandLine } from '../../src/core/windows-command-line';

describe('CommandLineToArgvW rules', () => {
  test.each([
    ['a b  c', ['a', 'b', 'c']],
    ['/config:"configuration file name.txt"', ['/config:configuration file name.txt']],
    [
      '/source:"\\\\server\\share" /source:"\\\\server2\\share"',
      ['/source:\\\\server\\share', '/source:\\\\server2\\share'],
    ],
    ['CCMADMINS="domain\\account1;domain\\group1"', ['CCMADMINS=domain\\account1;domain\\group1']],
    ['a\\\\\\"b', ['a\\"b']],
    ['a\\\\"b c"', ['a\\b c']],
    ['"a""b"', ['a"b']],
    ['"" x', ['', 'x']],
    ['  ', []],
    ['"unterminated value', ['unterminated value']],
  ])('%s', (line, args) => {
    expect(splitWindowsCommandLine(line)).toEqual(args);
  });

  test.each(['plain', 'with space', 'C:\\dir with space\\', 'say "hi"', ''])('quote round-trips %p', (arg) => {
    expect(splitWindowsCommandLine(quoteWindowsArgument(arg))).toEqual([arg]);
  });
});
