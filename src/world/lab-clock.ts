import * as fs from 'node:fs';
import * as path from 'node:path';
import { clockStartingAt, isClockOffset, offsetTo, parseIsoInstant, systemClock, type Clock } from '../core/clock';
import { CcmlabError } from '../core/errors';
import { writeFileAtomic } from '../store/atomic-file';
import { directoryChanges, noteDirectoryChanged } from '../store/directory-changes';
import { removeFile } from '../store/file-writes';
import { readBoundedText, type FileRole } from '../store/files';
import type { Lab } from './lab';

const LAB_FILE: FileRole = {
  label: 'lab file',
  code: 'CCMLAB_E_LAB_CORRUPT',
  fix: "set it again with 'ccmlab clock set reset'",
};

/**
 * The lab clock (the role NTP plays): an offset from the machine's clock in
 * `<lab>/clock.json`. Every process in the lab follows it: the file is read again whenever
 * it may have changed (store/directory-changes.ts: no system call per use of the time where
 * the lab directory can be watched), so a running site or agent follows `ccmlab clock set`
 * from its next use of the time on.
 */

const CLOCK_FILE = 'clock.json';
const MAX_CLOCK_BYTES = 4096;

export function clockFile(lab: Lab): string {
  return path.join(lab.root, CLOCK_FILE);
}

function readOffset(file: string): number {
  if (!fs.existsSync(file)) return 0;
  let offsetMs: number;
  try {
    offsetMs = (JSON.parse(readBoundedText(file, MAX_CLOCK_BYTES, LAB_FILE)) as { offsetMs?: unknown })
      .offsetMs as number;
  } catch (error) {
    throw new CcmlabError(
      'CCMLAB_E_LAB_CORRUPT',
      `the lab clock ${file} cannot be read (${(error as Error).message}); set it again with 'ccmlab clock set reset'`,
    );
  }
  if (!isClockOffset(offsetMs)) {
    throw new CcmlabError(
      'CCMLAB_E_LAB_CORRUPT',
      `the lab clock ${file} holds no whole offsetMs within ±100 years; set it again with 'ccmlab clock set reset'`,
    );
  }
  return offsetMs;
}

export interface LabClockOptions {
  realNow?: () => number;
  /**
   * A long-running process's report that the clock file turned bad after it had read a good
   * one: it keeps that last good offset and goes on. Without it, a bad file is an error at
   * every use (a command that runs once is refused).
   */
  onKeep?: (message: string) => void;
}

/** The lab's clock, followed live. */
export function labClock(lab: Lab, options: LabClockOptions = {}): Clock {
  const realNow = options.realNow ?? Date.now;
  const file = clockFile(lab);
  const changes = directoryChanges(lab.root, [CLOCK_FILE]);
  let cached: { stamp: string; offsetMs: number } | undefined;
  const offset = (): number => {
    const stamp = changes.stamp();
    if (cached?.stamp !== stamp) cached = { stamp, offsetMs: readOrKeep(file, cached?.offsetMs, options.onKeep) };
    return cached.offsetMs;
  };
  return {
    now: () => new Date(realNow() + offset()),
    get offsetMs() {
      return offset();
    },
  };
}

/** The file's offset; when it cannot be read and a good one was, that one (reported), for a process that must go on. */
function readOrKeep(file: string, lastGood: number | undefined, onKeep: LabClockOptions['onKeep']): number {
  try {
    return readOffset(file);
  } catch (error) {
    if (lastGood === undefined || !onKeep) throw error;
    onKeep(
      `${(error as Error).message}. Until it is fixed this process keeps the lab time it had (offset ${lastGood} ms).`,
    );
    return lastGood;
  }
}

/** The clock a command runs on: `--now` wins over CCMLAB_NOW, which wins over the lab's clock; no lab, the machine's. */
export function commandClock(
  nowOption: string | undefined,
  lab: Lab | undefined,
  options: LabClockOptions & { env?: NodeJS.ProcessEnv } = {},
): Clock {
  const env = options.env ?? process.env;
  if (nowOption !== undefined && nowOption !== '')
    return clockStartingAt(parseIsoInstant(nowOption, '--now'), Date.now, '--now');
  if (env.CCMLAB_NOW !== undefined && env.CCMLAB_NOW !== '')
    return clockStartingAt(parseIsoInstant(env.CCMLAB_NOW, 'CCMLAB_NOW'), Date.now, 'CCMLAB_NOW');
  if (!lab) return systemClock;
  const clock = labClock(lab, options);
  // Read once now: a clock file that is bad when the command starts refuses the command.
  void clock.offsetMs;
  return clock;
}

const RELATIVE = /^([+-])(\d{1,6})([dhm])$/i;
const UNIT_MS: Record<string, number> = { d: 86_400_000, h: 3_600_000, m: 60_000 };

/** The offset `value` asks for, given the lab's current offset (read only for a relative value): ISO instant, ±Nd/±Nh/±Nm (from the lab's time now), or reset. */
export function clockOffsetFor(value: string, currentOffsetMs: () => number, realNow: number): number {
  const text = value.trim();
  if (text.toLowerCase() === 'reset') return 0;
  const relative = RELATIVE.exec(text);
  if (relative) {
    const delta = Number(relative[2]) * UNIT_MS[relative[3].toLowerCase()];
    return offsetTo(
      new Date(realNow + currentOffsetMs() + (relative[1] === '-' ? -delta : delta)),
      'the lab time',
      realNow,
    );
  }
  if (!/^\d{4}-/.test(text)) {
    throw new CcmlabError(
      'CCMLAB_E_BAD_NOW',
      `'${value}' is not a lab time: give an ISO-8601 instant (2026-12-31T09:00:00Z), +Nd/-Nd/+Nh/-Nh/+Nm/-Nm, or reset`,
    );
  }
  return offsetTo(parseIsoInstant(text, 'the lab clock'), 'the lab time', realNow);
}

/** The lab back on real time: its clock file goes (a link itself, never what it points to). */
function removeClockFile(file: string): void {
  removeFile(file, { ...LAB_FILE, fix: 'remove it by hand' });
}

/** `ccmlab clock set`: moves the lab clock; returns the lab's time after the change. Reset and an instant work on a clock file that cannot be read. */
export function setLabClock(
  lab: Lab,
  value: string,
  realNow: () => number = Date.now,
): { now: Date; offsetMs: number } {
  const now = realNow();
  const offsetMs = clockOffsetFor(value, () => labClock(lab, { realNow }).offsetMs, now);
  if (offsetMs === 0) removeClockFile(clockFile(lab));
  else
    writeFileAtomic(clockFile(lab), `${JSON.stringify({ offsetMs, setAt: new Date(now).toISOString() }, null, 2)}\n`);
  noteDirectoryChanged(lab.root);
  return { now: new Date(now + offsetMs), offsetMs };
}

/**
 * Calls `onChange` when `ccmlab clock set` moves the lab clock (the file is replaced by a
 * rename, which the lab directory sees). Returns the unsubscribe. A lab directory that does
 * not exist yet is not watched: nothing can move its clock but a command that makes it.
 */
export function watchLabClock(lab: Lab, onChange: () => void): () => void {
  let watcher: fs.FSWatcher;
  try {
    watcher = fs.watch(lab.root, { persistent: false }, (_event, file) => {
      if (file === CLOCK_FILE) onChange();
    });
  } catch {
    return () => undefined;
  }
  watcher.on('error', () => watcher.close());
  return () => watcher.close();
}
