import * as fs from 'node:fs';
import * as path from 'node:path';
import { labAt } from '../../src/world/lab';
import { clockFile, labClock, setLabClock } from '../../src/world/lab-clock';
import { removeDir, tempDir } from '../support/paths';

/** The lab clock a long-running process keeps: read again only when the clock file may have changed. */

let dir: string;
beforeEach(() => {
  dir = tempDir();
});
afterEach(() => removeDir(dir));

test('clock set in this process moves a running clock at once, before and after the lab directory exists', () => {
  const lab = labAt(path.join(dir, 'lab'));
  const clock = labClock(lab, () => 1_000_000);
  expect(clock.offsetMs).toBe(0);
  setLabClock(lab, '+1d', () => 1_000_000);
  expect(clock.offsetMs).toBe(86_400_000);
  expect(clock.now().getTime()).toBe(1_000_000 + 86_400_000);
  setLabClock(lab, 'reset', () => 1_000_000);
  expect(clock.offsetMs).toBe(0);
});

test('a clock file that cannot be read is still an error at the next use, not a silent offset', async () => {
  const lab = labAt(dir);
  const clock = labClock(lab);
  expect(clock.offsetMs).toBe(0);
  const watcher = fs.watch(dir);
  const delivered = new Promise<void>((resolve) => watcher.once('change', () => setImmediate(resolve)));
  fs.writeFileSync(clockFile(lab), 'garbage');
  await delivered;
  watcher.close();
  expect(() => clock.now()).toThrow(/the lab clock .* cannot be read/);
});
