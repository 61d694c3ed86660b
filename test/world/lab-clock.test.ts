import * as fs from 'node:fs';
import * as path from 'node:path';
import { MAX_CLOCK_OFFSET_MS } from '../../src/core/clock';
import { labAt } from '../../src/world/lab';
import { clockFile, commandClock, labClock, setLabClock } from '../../src/world/lab-clock';
import { removeDir, tempDir } from '../support/paths';

/** The lab clock a long-running process keeps: read again only when the clock file may have changed. */

let dir: string;
beforeEach(() => {
  dir = tempDir();
});
afterEach(() => removeDir(dir));

const realNow = () => 1_000_000;

/** Replaces the clock file as another process would, and waits until this process has heard of it. */
async function replaceClockFile(lab: ReturnType<typeof labAt>, write: (file: string) => void): Promise<void> {
  const watcher = fs.watch(lab.root);
  const delivered = new Promise<void>((resolve) => watcher.once('change', () => setImmediate(resolve)));
  write(clockFile(lab));
  await delivered;
  watcher.close();
}

test('clock set in this process moves a running clock at once, before and after the lab directory exists', () => {
  const lab = labAt(path.join(dir, 'lab'));
  const clock = labClock(lab, { realNow });
  expect(clock.offsetMs).toBe(0);
  setLabClock(lab, '+1d', realNow);
  expect(clock.offsetMs).toBe(86_400_000);
  expect(clock.now().getTime()).toBe(1_000_000 + 86_400_000);
  setLabClock(lab, 'reset', realNow);
  expect(clock.offsetMs).toBe(0);
});

test('without a keeper, a clock file that cannot be read is an error at the next use, not a silent offset', async () => {
  const lab = labAt(dir);
  const clock = labClock(lab);
  expect(clock.offsetMs).toBe(0);
  await replaceClockFile(lab, (file) => fs.writeFileSync(file, 'garbage'));
  expect(() => clock.now()).toThrow(/the lab clock .* cannot be read/);
});

test.each([
  ['not JSON', (file: string) => fs.writeFileSync(file, 'garbage')],
  ['a string offset', (file: string) => fs.writeFileSync(file, '{"offsetMs":"86400000"}')],
  ['1e400', (file: string) => fs.writeFileSync(file, '{"offsetMs":1e400}')],
  ['an offset past 100 years', (file: string) => fs.writeFileSync(file, `{"offsetMs":${MAX_CLOCK_OFFSET_MS + 1}}`)],
  ['a directory', (file: string) => fs.mkdirSync(file)],
  ['a symlink to /dev/zero', (file: string) => fs.symlinkSync('/dev/zero', file)],
  ['5 MB', (file: string) => fs.writeFileSync(file, `{"offsetMs":1,"pad":"${'x'.repeat(5_000_000)}"}`)],
])(
  'a running clock keeps its last good offset when the file turns bad (%s), and says so once',
  async (_name, write) => {
    const lab = labAt(dir);
    setLabClock(lab, '+2d', realNow);
    const kept: string[] = [];
    const clock = labClock(lab, { realNow, onKeep: (message) => kept.push(message) });
    expect(clock.offsetMs).toBe(2 * 86_400_000);
    await replaceClockFile(lab, (file) => {
      fs.rmSync(file);
      write(file);
    });
    expect(clock.now().getTime()).toBe(1_000_000 + 2 * 86_400_000);
    expect(clock.offsetMs).toBe(2 * 86_400_000);
    expect(kept).toHaveLength(1);
    expect(kept[0]).toMatch(
      /the lab clock .* (cannot be read|holds no whole offsetMs).*keeps the lab time it had \(offset 172800000 ms\)/,
    );
  },
);

test('a command that starts on a bad clock file is refused, even with a keeper', () => {
  const lab = labAt(dir);
  fs.writeFileSync(clockFile(lab), '{"offsetMs":"x"}');
  expect(() => commandClock(undefined, lab, { onKeep: () => undefined })).toThrow(
    expect.objectContaining({ code: 'CCMLAB_E_LAB_CORRUPT' }),
  );
});

test('the clock stays within ±100 years: clock set and --now beyond it are refused, and change nothing', () => {
  const lab = labAt(dir);
  setLabClock(lab, '+36000d', realNow);
  expect(() => setLabClock(lab, '+999d', realNow)).toThrow(
    expect.objectContaining({ code: 'CCMLAB_E_BAD_NOW', message: expect.stringMatching(/more than 100 years/) }),
  );
  expect(labClock(lab, { realNow }).offsetMs).toBe(36000 * 86_400_000);
  expect(() => setLabClock(lab, '-999999d', realNow)).toThrow(expect.objectContaining({ code: 'CCMLAB_E_BAD_NOW' }));
  expect(() => setLabClock(lab, '9999-01-01T00:00:00Z')).toThrow(expect.objectContaining({ code: 'CCMLAB_E_BAD_NOW' }));
  expect(() => commandClock('0001-01-01T00:00:00Z', lab)).toThrow(
    expect.objectContaining({ code: 'CCMLAB_E_BAD_NOW', message: expect.stringMatching(/^--now /) }),
  );
  expect(() => commandClock(undefined, lab, { env: { CCMLAB_NOW: '2200-01-01' } })).toThrow(
    expect.objectContaining({ code: 'CCMLAB_E_BAD_NOW' }),
  );
});

test('reset and an instant work on a clock file that cannot be read; a relative move does not', () => {
  const lab = labAt(dir);
  fs.writeFileSync(clockFile(lab), 'garbage');
  expect(() => setLabClock(lab, '+1d', realNow)).toThrow(expect.objectContaining({ code: 'CCMLAB_E_LAB_CORRUPT' }));
  expect(setLabClock(lab, '1970-01-02T00:00:00Z', realNow).offsetMs).toBe(86_400_000 - 1_000_000);
  fs.writeFileSync(clockFile(lab), 'garbage');
  expect(setLabClock(lab, 'reset', realNow).offsetMs).toBe(0);
  expect(fs.existsSync(clockFile(lab))).toBe(false);
});

test('no lab: the machine clock', () => {
  expect(commandClock(undefined, undefined, { env: {} }).offsetMs).toBe(0);
});

test('--now names a day of the calendar: 2026-02-30 is refused, not rolled over to March', () => {
  expect(() => commandClock('2026-02-30T00:00:00Z', undefined)).toThrow(
    expect.objectContaining({ code: 'CCMLAB_E_BAD_NOW' }),
  );
  expect(() => commandClock('2026-13-01', undefined)).toThrow(expect.objectContaining({ code: 'CCMLAB_E_BAD_NOW' }));
  expect(commandClock('2028-02-29T10:00:00Z', undefined).now().toISOString().startsWith('2028-02-29T10:00')).toBe(true);
});
