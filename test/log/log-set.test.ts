import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Clock } from '../../src/core/clock';
import { CcmlabError } from '../../src/core/errors';
import { formatCmTraceLine } from '../../src/log/cmtrace-format';
import { parseCmTrace } from '../../src/log/cmtrace-parse';
import {
  classifyLogName,
  collectLogFiles,
  LOG_SET_LIMITS,
  mergeRecords,
  mergeTimeline,
  tagRecords,
} from '../../src/log/log-set';
import { CLIENT_LOG_DEFAULTS, CmLog, SITE_LOG_DEFAULTS } from '../../src/log/logger';
import { logLabels } from '../../src/log/viewer';
import { removeDir, tempDir } from '../support/paths';

let dir: string;
beforeEach(() => {
  dir = tempDir();
});
afterEach(() => removeDir(dir));

/** A clock the test moves by hand. */
function handClock(iso: string): Clock & { set: (iso: string) => void } {
  let now = new Date(iso).getTime();
  return { now: () => new Date(now), offsetMs: 0, set: (to: string) => (now = new Date(to).getTime()) };
}

const line = (message: string, iso: string, component = 'Test'): string =>
  formatCmTraceLine({ message, component, type: 1, thread: 1, file: 'test.cpp:1', time: new Date(iso) });

function write(file: string, text: string | Buffer): string {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text);
  return file;
}

function errorOf(work: () => unknown): CcmlabError {
  try {
    work();
  } catch (error) {
    return error as CcmlabError;
  }
  throw new Error('expected an error');
}

describe('log sets', () => {
  test('file names: live, history (with -N), .lo_, and not logs', () => {
    expect(classifyLogName('ClientLocation.log')).toMatchObject({ base: 'ClientLocation', kind: 'live' });
    expect(classifyLogName('ClientLocation-20260115-100000-2.log')).toEqual({
      base: 'ClientLocation',
      kind: 'history',
      stamp: '20260115-100000',
      sequence: 2,
    });
    expect(classifyLogName('CCM_STS.LO_')).toMatchObject({ base: 'CCM_STS', kind: 'lo_' });
    expect(classifyLogName('notes.txt')).toBeUndefined();
    expect(classifyLogName('.log')).toBeUndefined();
  });

  test('a folder is walked: each log grouped oldest first, other files skipped with a reason', async () => {
    const clock = handClock('2026-01-15T10:00:00Z');
    const clientDir = path.join(dir, 'clients', 'PC01');
    const client = new CmLog({
      dir: clientDir,
      name: 'ClientLocation',
      rollover: 'history',
      settings: { ...CLIENT_LOG_DEFAULTS, maxSize: 10_000, maxHistory: 2 },
      clock,
      source: 't',
    });
    for (let i = 0; i < 300; i++) client.info(`client ${i}`);
    await client.close();
    const site = new CmLog({
      dir: path.join(dir, 'site'),
      name: 'CCM_STS',
      rollover: 'lo_',
      settings: { ...SITE_LOG_DEFAULTS, maxSize: 10_000 },
      clock,
      source: 't',
    });
    for (let i = 0; i < 120; i++) site.info(`site ${i}`);
    await site.close();
    write(path.join(dir, 'site', 'notes.txt'), 'not a log');

    const { sets, skipped } = collectLogFiles([dir]);
    expect(sets.map((s) => [s.name, path.relative(dir, s.log)])).toEqual([
      ['ClientLocation', path.join('clients', 'PC01', 'ClientLocation.log')],
      ['CCM_STS', path.join('site', 'CCM_STS.log')],
    ]);
    const [clientSet, siteSet] = sets;
    expect(clientSet.files.map((f) => path.basename(f))).toHaveLength(3);
    expect(clientSet.files.slice(0, 2).every((f) => /ClientLocation-\d{8}-\d{6}(-\d+)?\.log$/.test(f))).toBe(true);
    expect(siteSet.files.map((f) => path.basename(f))).toEqual(['CCM_STS.lo_', 'CCM_STS.log']);
    expect(skipped).toEqual([{ path: path.join(dir, 'site', 'notes.txt'), reason: 'not a log (*.log, *.lo_)' }]);

    // Read back, each log in its own order, oldest first.
    const { records } = mergeTimeline(sets);
    const numbers = (prefix: string): number[] =>
      records.filter((r) => r.message.startsWith(prefix)).map((r) => Number(r.message.split(' ')[1]));
    for (const [prefix, total] of [
      ['client', 300],
      ['site', 120],
    ] as const) {
      const n = numbers(prefix);
      expect(n[n.length - 1]).toBe(total - 1);
      n.forEach((v, i) => expect(v).toBe(total - n.length + i));
    }
  });

  test('records merge by time; equal times keep argument order and each file keeps its own order', () => {
    const a = write(
      path.join(dir, 'A.log'),
      [
        line('a1', '2026-01-15T10:00:00Z'),
        line('a2', '2026-01-15T10:00:02Z'),
        line('a3 clock set back', '2026-01-15T09:00:00Z'),
      ].join(''),
    );
    const b = write(
      path.join(dir, 'B.log'),
      [line('b1', '2026-01-15T10:00:00Z'), line('b2', '2026-01-15T10:00:01Z'), line('b3', '2026-01-15T10:00:02Z')].join(
        '',
      ),
    );
    const forward = mergeTimeline(collectLogFiles([a, b]).sets).records.map((r) => r.message);
    expect(forward).toEqual(['a1', 'b1', 'b2', 'a2', 'a3 clock set back', 'b3']);
    const backward = mergeTimeline(collectLogFiles([b, a]).sets).records.map((r) => r.message);
    expect(backward).toEqual(['b1', 'a1', 'b2', 'b3', 'a2', 'a3 clock set back']);
  });

  test('a record whose time cannot be read keeps its place after the one before it in its file', () => {
    const bad =
      '<![LOG[no time]LOG]!><time="soon" date="someday" component="Test" context="" type="1" thread="1" file="">\r\n';
    const a = write(
      path.join(dir, 'A.log'),
      [line('a1', '2026-01-15T10:00:00Z'), bad, line('a2', '2026-01-15T10:00:05Z')].join(''),
    );
    const b = write(
      path.join(dir, 'B.log'),
      [line('b1', '2026-01-15T10:00:01Z'), line('b2', '2026-01-15T10:00:06Z')].join(''),
    );
    const { records, unparsed } = mergeTimeline(collectLogFiles([a, b]).sets);
    expect(unparsed).toBe(0);
    expect(records.map((r) => r.message)).toEqual(['a1', 'no time', 'b1', 'a2', 'b2']);
    expect(records[1]).toMatchObject({
      localTime: 'soon',
      localDate: 'someday',
      at: new Date('2026-01-15T10:00:00Z').getTime(),
    });
    expect(Number.isNaN(records[1].time.getTime())).toBe(true);
    expect(tagRecords(parseCmTrace(bad).entries, 'x.log', -Infinity)[0].at).toBe(-Infinity);
  });

  test('mergeRecords with many lists is one ordered list', () => {
    const lists = Array.from({ length: 50 }, (_, l) =>
      tagRecords(
        parseCmTrace(
          Array.from({ length: 20 }, (_, i) =>
            line(`${l}:${i}`, new Date(Date.UTC(2026, 0, 15, 10, 0, (i * 7 + l) % 60)).toISOString()),
          ).join(''),
        ).entries,
        `${l}.log`,
        -Infinity,
      ),
    );
    const merged = mergeRecords(lists);
    expect(merged).toHaveLength(1000);
    for (const list of lists) {
      const own = merged.filter((r) => r.log === list[0].log);
      expect(own).toEqual(list);
    }
  });

  test('bounds: too many files or bytes is an error, deeper folders are skipped', () => {
    for (let i = 0; i < 3; i++) write(path.join(dir, `L${i}.log`), line(`l${i}`, '2026-01-15T10:00:00Z'));
    write(path.join(dir, 'a', 'b', 'Deep.log'), line('deep', '2026-01-15T10:00:00Z'));
    const files = errorOf(() => collectLogFiles([dir], { ...LOG_SET_LIMITS, maxFiles: 2 }));
    expect(files.code).toBe('CCMLAB_E_FILE_UNREADABLE');
    expect(files.message).toMatch(/hold 4 log files, more than the 2 ccmlab merges; name fewer or narrower folders/);
    const bytes = errorOf(() => collectLogFiles([dir], { ...LOG_SET_LIMITS, maxTotalBytes: 100 }));
    expect(bytes.message).toMatch(/more than the 100 ccmlab merges/);
    const one = errorOf(() => collectLogFiles([dir], { ...LOG_SET_LIMITS, maxFileBytes: 10 }));
    expect(one.message).toMatch(/bytes, more than the 10 ccmlab reads; split it first/);
    const entries = errorOf(() => collectLogFiles([dir], { ...LOG_SET_LIMITS, maxEntries: 3 }));
    expect(entries.message).toMatch(/more than 3 entries/);
    const shallow = collectLogFiles([dir], { ...LOG_SET_LIMITS, maxDepth: 1 });
    expect(shallow.sets.map((s) => s.name)).toEqual(['L0', 'L1', 'L2']);
    expect(shallow.skipped).toEqual([{ path: path.join(dir, 'a', 'b'), reason: 'more than 1 folders deep' }]);
  });

  test('a log named twice (alone and in its folder) is read once', () => {
    const a = write(path.join(dir, 'A.log'), line('a1', '2026-01-15T10:00:00Z'));
    expect(collectLogFiles([a, dir, a]).sets).toHaveLength(1);
  });

  test('labels: base names, and enough of the folders where base names meet', () => {
    expect(
      logLabels([
        'logs/clients/PC01/ccmsetup.log',
        'logs/clients/PC02/ccmsetup.log',
        'logs/site/CCM_STS.log',
        'logs/site/SMS_CLOUD_PROXYCONNECTOR.lo_',
      ]),
    ).toEqual([
      'PC01/ccmsetup'.padEnd(24),
      'PC02/ccmsetup'.padEnd(24),
      'CCM_STS'.padEnd(24),
      'SMS_CLOUD_PROXYCONNECTOR',
    ]);
    expect(logLabels(['a/x/PC01/ccmsetup.log', 'b/x/PC01/ccmsetup.log']).map((l) => l.trim())).toEqual([
      'a/x/PC01/ccmsetup',
      'b/x/PC01/ccmsetup',
    ]);
    expect(logLabels(['C:\\Windows\\CCM\\Logs\\ClientLocation.log'])).toEqual(['ClientLocation']);
  });
});

describe('the time to read', () => {
  const many = (n: number, iso: string) => Array.from({ length: n }, (_, i) => line(`record ${i}`, iso)).join('');

  test('a parse whose time is up stops at a record and says where; the records before it are whole', () => {
    const text = many(3000, '2026-01-01T00:00:00Z');
    const parsed = parseCmTrace(text, { expired: () => true });
    expect(parsed.stoppedAt).toBeGreaterThan(0);
    expect(parsed.stoppedAt).toBeLessThan(text.length);
    expect(parsed.entries.length).toBeGreaterThan(0);
    expect(parsed.entries.at(-1)?.message).toBe(`record ${parsed.entries.length - 1}`);
    expect(parseCmTrace(text).stoppedAt).toBeUndefined();
  });

  test('a merge out of time keeps what it read and names the file it stopped in and the logs it never read', () => {
    const a = write(path.join(dir, 'A.log'), many(3000, '2026-01-01T00:00:00Z'));
    write(path.join(dir, 'B.log'), many(10, '2026-01-01T00:00:01Z'));
    const { sets } = collectLogFiles([dir]);
    const timeline = mergeTimeline(sets, { limits: { ...LOG_SET_LIMITS, maxReadMs: -1 } });
    expect(timeline.unread).toMatchObject({ file: a, unreadLogs: 1 });
    expect(timeline.unread?.readChars).toBeLessThan(timeline.unread?.totalChars ?? 0);
    expect(timeline.records.length).toBeGreaterThan(0);
    expect(timeline.records.every((r) => r.log === a)).toBe(true);
    expect(mergeTimeline(sets).unread).toBeUndefined();
  });
});
