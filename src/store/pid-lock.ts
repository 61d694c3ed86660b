import * as fs from 'node:fs';
import { isProcessAlive } from '../core/process';
import type { CcmlabError } from '../core/errors';
import { SECRET_FILE_MODE } from './atomic-file';
import { openForWrite, removeFile } from './file-writes';
import { errnoOf, readBoundedText, type FileRole } from './files';

/**
 * A lock file that names the process holding it (its pid, 0600), made exclusively. One left
 * by a process that is gone is stale: it is taken over. Its release is the caller's, who
 * knows what else goes with it.
 */

export interface PidLockRules {
  /** The process holding the lock now; undefined when the lock is stale. */
  holder: () => number | undefined;
  /** The refusal while `pid` holds the lock. */
  held: (pid: number) => CcmlabError;
  /** The refusal when other processes keep taking the lock between this one's tries. */
  contended: () => CcmlabError;
  /** Files that go with a stale lock. */
  staleFiles?: readonly string[];
  /** A failure to make the lock other than its being there, said the caller's way (by default thrown as it is). */
  cannotMake?: (error: unknown) => unknown;
}

const LOCK_FILE: FileRole = {
  label: 'lock file',
  code: 'CCMLAB_E_STATE_WRITE',
  fix: 'make its directory writable, then run the command again',
};

export function takePidLock(file: string, rules: PidLockRules): void {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openForWrite(file, 'create', SECRET_FILE_MODE, LOCK_FILE);
      try {
        fs.writeSync(fd, `${process.pid}\n`);
      } finally {
        fs.closeSync(fd);
      }
      return;
    } catch (error) {
      if (errnoOf(error) !== 'EEXIST')
        throw rules.cannotMake ? rules.cannotMake((error as Error).cause ?? error) : error;
      const pid = rules.holder();
      if (pid !== undefined) throw rules.held(pid);
      // A lock (or a file that goes with it) that is a link: the link goes, not what it names.
      for (const stale of [file, ...(rules.staleFiles ?? [])]) removeFile(stale, LOCK_FILE);
    }
  }
  throw rules.contended();
}

/** The running process, other than this one, that the lock in `file` names; undefined if none does. */
export function livePidIn(file: string, role: FileRole): number | undefined {
  const pid = Number(readBoundedText(file, 64, role, { follow: false }).trim());
  return Number.isSafeInteger(pid) && pid > 0 && pid !== process.pid && isProcessAlive(pid) ? pid : undefined;
}

/** Releases still pending at exit: one listener for them all (a fleet holds hundreds of client locks at once). */
const pendingAtExit = new Set<() => void>();

function releaseAllAtExit(): void {
  for (const release of [...pendingAtExit]) release();
}

/**
 * `release`, run once: when called, or when the process exits first (process.exit after an
 * error, Ctrl+C, a closed output), so that no lock outlives its process but by kill -9.
 */
export function releasedAtExit(release: () => void): () => void {
  const once = (): void => {
    if (!pendingAtExit.delete(once)) return;
    if (pendingAtExit.size === 0) process.off('exit', releaseAllAtExit);
    release();
  };
  if (pendingAtExit.size === 0) process.on('exit', releaseAllAtExit);
  pendingAtExit.add(once);
  return once;
}
