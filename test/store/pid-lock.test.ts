import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CcmlabError } from '../../src/core/errors';
import { livePidIn, releasedAtExit, takePidLock } from '../../src/store/pid-lock';

/** A pid lock: made exclusively with this process's pid, 0600; refused while its holder runs; a stale one taken over with what goes with it. */

const role = { label: 'test lock', code: 'CCMLAB_E_STATE_WRITE', fix: 'remove it' } as const;
let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ccmlab-pid-lock-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const rules = (file: string, staleFiles: string[] = []) => ({
  holder: () => livePidIn(file, role),
  held: (pid: number) => new CcmlabError('CCMLAB_E_FLEET_RUNNING', `held by ${pid}`),
  contended: () => new CcmlabError('CCMLAB_E_FLEET_RUNNING', 'contended'),
  staleFiles,
});

test('taken when free, with this pid and mode 0600; a lock naming a process that is gone is taken over with its stale files', () => {
  const file = path.join(dir, 'a.lock');
  takePidLock(file, rules(file));
  expect(fs.readFileSync(file, 'utf8')).toBe(`${process.pid}\n`);
  expect(fs.statSync(file).mode & 0o777).toBe(0o600);
  const stale = path.join(dir, 'b.lock');
  const ready = path.join(dir, 'b.ready');
  // Pid 2^22+1 is above Linux's default pid_max: no such process runs.
  fs.writeFileSync(stale, '4194305\n');
  fs.writeFileSync(ready, '{}');
  takePidLock(stale, rules(stale, [ready]));
  expect(fs.readFileSync(stale, 'utf8')).toBe(`${process.pid}\n`);
  expect(fs.existsSync(ready)).toBe(false);
});

test('refused while a running process holds it, and the lock is left as it was', () => {
  const file = path.join(dir, 'c.lock');
  fs.writeFileSync(file, `${process.ppid}\n`);
  expect(() => takePidLock(file, rules(file))).toThrow(`held by ${process.ppid}`);
  expect(fs.readFileSync(file, 'utf8')).toBe(`${process.ppid}\n`);
});

test('locks held at once share one exit listener, and each release runs once', () => {
  const before = process.listenerCount('exit');
  const calls: number[] = [];
  const releases = Array.from({ length: 20 }, (_, i) => releasedAtExit(() => calls.push(i)));
  // Twenty held locks, one listener: a fleet's clients would otherwise trip Node's leak warning at eleven.
  expect(process.listenerCount('exit')).toBe(before + 1);
  releases[3]();
  releases[3]();
  expect(calls).toEqual([3]);
  for (const release of releases) release();
  expect(calls).toHaveLength(20);
  expect(process.listenerCount('exit')).toBe(before);
});
