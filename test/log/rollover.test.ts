import * as fs from 'node:fs';
import * as path from 'node:path';
import { clockStartingAt, type Clock } from '../../src/core/clock';
import { decodeText } from '../../src/core/text';
import { historyStamp } from '../../src/log/cmtrace-format';
import { parseCmTrace } from '../../src/log/cmtrace-parse';
import { listHistoryFiles, logSetPaths } from '../../src/log/log-files';
import { CLIENT_LOG_DEFAULTS, CmLog, SITE_LOG_DEFAULTS } from '../../src/log/logger';
import { listFiles, removeDir, tempDir } from '../support/paths';

let dir: string;
beforeEach(() => {
  dir = tempDir();
});
afterEach(() => removeDir(dir));

/** Sequence numbers of every line in the log set, oldest file first. */
function sequenceOf(live: string): number[] {
  const numbers: number[] = [];
  for (const file of logSetPaths(live)) {
    for (const entry of parseCmTrace(decodeText(fs.readFileSync(file))).entries)
      numbers.push(Number(/^line (\d+)$/.exec(entry.message)?.[1]));
  }
  return numbers;
}

function expectUnbrokenTail(numbers: number[], total: number): void {
  expect(numbers.length).toBeGreaterThan(0);
  expect(numbers[numbers.length - 1]).toBe(total - 1);
  numbers.forEach((n, i) => expect(n).toBe(total - numbers.length + i));
}

const frozen: Clock = clockStartingAt(new Date('2026-01-15T10:00:00Z'), () => 0);

describe('rollover', () => {
  test('100,000 lines, client log, CCMLOGMAXSIZE=100000, history 2: an unbroken tail, nothing repeated', async () => {
    const log = new CmLog({
      dir,
      name: 'ClientLocation',
      rollover: 'history',
      settings: { ...CLIENT_LOG_DEFAULTS, maxSize: 100_000, maxHistory: 2 },
      clock: frozen,
      source: 't',
    });
    const total = 100_000;
    for (let i = 0; i < total; i++) log.info(`line ${i}`);
    await log.close();
    const history = listHistoryFiles(dir, 'ClientLocation');
    expect(history).toHaveLength(2);
    // Every rollover happened within the same second of the frozen clock: -N suffixes in order.
    expect(path.basename(history[0].path)).toMatch(/^ClientLocation-20260115-\d{6}-\d+\.log$/);
    for (const file of [...history.map((h) => h.path), path.join(dir, 'ClientLocation.log')]) {
      expect(fs.statSync(file).size).toBeLessThanOrEqual(100_000);
    }
    expectUnbrokenTail(sequenceOf(path.join(dir, 'ClientLocation.log')), total);
  });

  test('100,000 lines, site log: X.lo_ plus X.log hold an unbroken tail', async () => {
    const log = new CmLog({
      dir,
      name: 'MP_RegistrationManager',
      rollover: 'lo_',
      settings: { ...SITE_LOG_DEFAULTS, maxSize: 100_000 },
      clock: frozen,
      source: 't',
    });
    const total = 100_000;
    for (let i = 0; i < total; i++) log.info(`line ${i}`);
    await log.close();
    expect(listFiles(dir)).toEqual(['MP_RegistrationManager.lo_', 'MP_RegistrationManager.log']);
    const numbers = sequenceOf(path.join(dir, 'MP_RegistrationManager.log'));
    expectUnbrokenTail(numbers, total);
    // The .lo_ is a full log: it was rolled over only when the next line no longer fitted.
    const rolled = fs.readFileSync(path.join(dir, 'MP_RegistrationManager.lo_'));
    expect(rolled.length).toBeGreaterThan(100_000 - 200);
    expect(numbers.length).toBeGreaterThan(parseCmTrace(rolled.toString('utf8')).entries.length);
  });

  test('CCMLOGMAXHISTORY=0 keeps no history', async () => {
    const log = new CmLog({
      dir,
      name: 'X',
      rollover: 'history',
      settings: { ...CLIENT_LOG_DEFAULTS, maxSize: 10_000, maxHistory: 0 },
      clock: frozen,
      source: 't',
    });
    for (let i = 0; i < 2000; i++) log.info(`line ${i}`);
    await log.close();
    expect(listFiles(dir)).toEqual(['X.log']);
    expectUnbrokenTail(sequenceOf(path.join(dir, 'X.log')), 2000);
  });

  test('history files are named by the time of rollover, later seconds without suffix', async () => {
    let now = Date.parse('2026-01-15T10:00:00Z');
    const stepping: Clock = { now: () => new Date((now += 1000)), offsetMs: 0 };
    const log = new CmLog({
      dir,
      name: 'CcmMessaging',
      rollover: 'history',
      settings: { ...CLIENT_LOG_DEFAULTS, maxSize: 10_000, maxHistory: 5 },
      clock: stepping,
      source: 't',
    });
    for (let i = 0; i < 200; i++) log.info(`line ${i} ${'x'.repeat(100)}`.replace(/ x+$/, ''));
    await log.close();
    const names = listHistoryFiles(dir, 'CcmMessaging').map((h) => path.basename(h.path));
    expect(names.length).toBeGreaterThan(0);
    const hour = historyStamp(new Date('2026-01-15T10:00:00Z')).slice(0, 11);
    for (const name of names) expect(name).toMatch(new RegExp(`^CcmMessaging-${hour}\\d{4}\\.log$`));
  });

  test('CCMLOGLEVEL filters and CCMENABLELOGGING=FALSE writes nothing', async () => {
    const quiet = new CmLog({
      dir,
      name: 'Errors',
      rollover: 'history',
      settings: { ...CLIENT_LOG_DEFAULTS, level: 3 },
      clock: frozen,
      source: 't',
    });
    quiet.verbose('v');
    quiet.info('i');
    quiet.warn('w');
    quiet.error('e');
    const off = new CmLog({
      dir,
      name: 'Off',
      rollover: 'history',
      settings: { ...CLIENT_LOG_DEFAULTS, enabled: false },
      clock: frozen,
      source: 't',
    });
    off.error('never');
    const verbose = new CmLog({
      dir,
      name: 'Verbose',
      rollover: 'history',
      settings: { ...CLIENT_LOG_DEFAULTS, level: 0 },
      clock: frozen,
      source: 't',
    });
    verbose.verbose('v');
    verbose.debug('d');
    await Promise.all([quiet.close(), off.close(), verbose.close()]);
    expect(listFiles(dir)).toEqual(['Errors.log', 'Verbose.log']);
    const errors = parseCmTrace(fs.readFileSync(path.join(dir, 'Errors.log'), 'utf8')).entries;
    expect(errors.map((e) => [e.message, e.type])).toEqual([['e', 3]]);
    expect(parseCmTrace(fs.readFileSync(path.join(dir, 'Verbose.log'), 'utf8')).entries.map((e) => e.message)).toEqual([
      'v',
    ]);
  });

  test('the file is UTF-8 without BOM with CRLF line ends', async () => {
    const log = new CmLog({
      dir,
      name: 'Enc',
      rollover: 'history',
      settings: CLIENT_LOG_DEFAULTS,
      clock: frozen,
      source: 'x.cpp:1',
    });
    log.warn('Å');
    await log.close();
    const bytes = fs.readFileSync(path.join(dir, 'Enc.log'));
    expect(bytes[0]).toBe('<'.charCodeAt(0));
    expect(bytes.toString('utf8')).toMatch(
      /<!\[LOG\[Å\]LOG\]!><time="\d\d:\d\d:\d\d\.\d{3}[+-]\d+" date="\d\d-\d\d-\d{4}" component="Enc" context="" type="2" thread="\d+" file="x.cpp:1">\r\n$/,
    );
  });
});
