import * as fs from 'node:fs';
import * as path from 'node:path';
import { clockStartingAt, systemClock, type Clock } from '../../src/core/clock';
import { formatCmTraceLine } from '../../src/log/cmtrace-format';
import { listHistoryFiles } from '../../src/log/log-files';
import { CLIENT_LOG_DEFAULTS, CmLog, sourceAttribute, threadOf } from '../../src/log/logger';
import { removeDir, tempDir } from '../support/paths';

/** The logger (CmLog → winston → the CMTrace transport) writes exactly the formatter's bytes. */

let dir: string;
beforeEach(() => {
  dir = tempDir();
});
afterEach(() => removeDir(dir));

const at = new Date('2026-01-15T10:00:00.123Z');
const frozen: Clock = clockStartingAt(at, () => 0);

test('every level it writes is the formatted line, byte for byte, in the order written; lines above the level are dropped', async () => {
  const log = new CmLog({
    dir,
    name: 'Golden',
    rollover: 'history',
    settings: CLIENT_LOG_DEFAULTS,
    clock: frozen,
    source: 'golden.cpp',
  });
  const written: Array<[string, 1 | 2 | 3, string | undefined]> = [
    ['plain info', 1, undefined],
    ['a warning with <, > and\r\nline breaks', 2, undefined],
    ['an error ]LOG]!> that tries to end its record', 3, 'published.cpp:42'],
    ['Å, ß and 日本 in UTF-8', 1, undefined],
    ['token eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl is never written', 1, undefined],
  ];
  for (const [message, type, source] of written) {
    if (type === 3) log.error(message, source);
    else if (type === 2) log.warn(message, source);
    else log.info(message, source);
    log.verbose(`verbose after ${message}`);
    log.debug(`debug after ${message}`);
  }
  await log.close();
  const expected = written.map(([message, type, source]) =>
    formatCmTraceLine({
      message,
      component: 'Golden',
      type,
      thread: threadOf('Golden'),
      file: sourceAttribute(source ?? 'golden.cpp', message),
      time: at,
    }),
  );
  expect(fs.readFileSync(path.join(dir, 'Golden.log'), 'utf8')).toBe(expected.join(''));
});

test('debug logging writes verbose and debug lines too', async () => {
  const log = new CmLog({
    dir,
    name: 'Debug',
    rollover: 'history',
    settings: { ...CLIENT_LOG_DEFAULTS, debug: true },
    clock: frozen,
    source: 'd',
  });
  log.verbose('v');
  log.debug('d');
  await log.close();
  expect(fs.readFileSync(path.join(dir, 'Debug.log'), 'utf8').match(/<!\[LOG\[(\w)\]LOG\]!>/g)).toEqual([
    '<![LOG[v]LOG]!>',
    '<![LOG[d]LOG]!>',
  ]);
});

test('rollover counts bytes, not characters: no file passes CCMLOGMAXSIZE with multi-byte text', async () => {
  const maxSize = 10_000;
  const log = new CmLog({
    dir,
    name: 'Wide',
    rollover: 'history',
    settings: { ...CLIENT_LOG_DEFAULTS, maxSize, maxHistory: 5 },
    clock: systemClock,
    source: 'w',
  });
  for (let i = 0; i < 200; i++) log.info(`${i} ${'日本'.repeat(40)}`);
  await log.close();
  const files = [...listHistoryFiles(dir, 'Wide').map((f) => f.path), path.join(dir, 'Wide.log')];
  expect(files.length).toBeGreaterThan(2);
  for (const file of files) expect(fs.statSync(file).size).toBeLessThanOrEqual(maxSize);
});

describe('a log whose name is taken by anything but a regular file is refused before its first line', () => {
  const onPosix = process.platform === 'win32' ? test.skip : test;
  const open = () =>
    new CmLog({
      dir,
      name: 'ClientLocation',
      rollover: 'history',
      settings: CLIENT_LOG_DEFAULTS,
      clock: frozen,
      source: 'lsad.cpp',
    });

  onPosix('a link to a file elsewhere: nothing is appended there', () => {
    const elsewhere = path.join(dir, 'elsewhere.txt');
    fs.writeFileSync(elsewhere, 'kept\n');
    fs.symlinkSync(elsewhere, path.join(dir, 'ClientLocation.log'));
    expect(open).toThrow(
      expect.objectContaining({
        code: 'CCMLAB_E_LOG_WRITE',
        message: expect.stringMatching(
          /^log file .*ClientLocation\.log is a symbolic link, which ccmlab does not follow here; /,
        ),
      }),
    );
    expect(fs.readFileSync(elsewhere, 'utf8')).toBe('kept\n');
  });

  onPosix(
    'a link to a device, and a rollover onto a link among the history files, write nothing through it',
    async () => {
      fs.symlinkSync('/dev/null', path.join(dir, 'ClientLocation.log'));
      expect(open).toThrow(/ClientLocation\.log is a symbolic link/);
      fs.rmSync(path.join(dir, 'ClientLocation.log'));
      const elsewhere = path.join(dir, 'elsewhere.txt');
      fs.writeFileSync(elsewhere, 'kept\n');
      // The oldest history file is a link: pruning removes the link, never the file it names.
      fs.symlinkSync(elsewhere, path.join(dir, 'Site-20000101-000000.log'));
      const log = new CmLog({
        dir,
        name: 'Site',
        rollover: 'history',
        settings: { ...CLIENT_LOG_DEFAULTS, maxSize: 10_000, maxHistory: 1 },
        clock: frozen,
        source: 'site.cpp',
      });
      for (let i = 0; i < 200; i++) log.info(`line ${i} ${'x'.repeat(100)}`);
      await log.close();
      expect(fs.existsSync(path.join(dir, 'Site-20000101-000000.log'))).toBe(false);
      expect(fs.readFileSync(elsewhere, 'utf8')).toBe('kept\n');
    },
  );
});
