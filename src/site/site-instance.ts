import * as fs from 'node:fs';
import * as path from 'node:path';
import { isProcessAlive } from '../core/process';
import { CcmlabError } from '../core/errors';
import { writeFileAtomic } from '../store/atomic-file';
import { removeFile } from '../store/file-writes';
import { readBoundedText, type FileRole } from '../store/files';
import { releasedAtExit, takePidLock } from '../store/pid-lock';
import type { ReadyInfo } from './site-server';

/**
 * One running `site start` per site directory. `site.lock` (created exclusively, holding
 * the pid) claims the site; `ready.json` says where it listens once it does; both go when
 * it stops. A lock whose process is gone, or is not a ccmlab site (its pid reused after a
 * kill -9), never blocks a start.
 */

const LOCK_FILE = 'site.lock';
export const READY_FILE = 'ready.json';
const MAX_STATE_BYTES = 16 * 1024;
const SITE_LOCK_ROLE: FileRole = {
  label: 'site lock',
  code: 'CCMLAB_E_SITE_CORRUPT',
  fix: 'remove it if no site is running',
};

export function readyFilePath(siteDir: string): string {
  return path.join(siteDir, READY_FILE);
}

/** Is `pid` a running ccmlab site? Where /proc shows command lines, a reused pid is told apart. */
function isRunningSite(pid: number): boolean {
  if (!Number.isSafeInteger(pid) || pid <= 0 || !isProcessAlive(pid)) return false;
  if (pid === process.pid) return true;
  let commandLine: string;
  try {
    commandLine = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return !fs.existsSync('/proc/self');
  }
  const args = commandLine.split('\0');
  return args.some((a) => /ccmlab(\.js)?$/.test(a)) && args.includes('site') && args.includes('start');
}

function lockedPid(siteDir: string): number | undefined {
  try {
    return Number(
      readBoundedText(path.join(siteDir, LOCK_FILE), MAX_STATE_BYTES, SITE_LOCK_ROLE, { follow: false }).trim(),
    );
  } catch {
    return undefined;
  }
}

/** The pid of the site running on this directory, if one is. */
export function runningSitePid(siteDir: string): number | undefined {
  const pid = lockedPid(siteDir);
  return pid !== undefined && isRunningSite(pid) ? pid : undefined;
}

function alreadyRunning(siteDir: string, pid: number): CcmlabError {
  return new CcmlabError(
    'CCMLAB_E_SITE_RUNNING',
    `the site in ${path.resolve(siteDir)} is already running (process ${pid}); stop it with 'ccmlab site stop' first`,
  );
}

/** Refuses a start (a detached one, before it touches the site's files) while a site runs on the directory. */
export function refuseIfRunning(siteDir: string): void {
  const pid = runningSitePid(siteDir);
  if (pid !== undefined) throw alreadyRunning(siteDir, pid);
}

/** Claims the site for this process; refuses while another ccmlab site runs on it. Returns the release. */
export function claimSite(siteDir: string): () => void {
  const file = path.join(siteDir, LOCK_FILE);
  takePidLock(file, {
    // A lock whose process is gone or is not a site is stale.
    holder: () => runningSitePid(siteDir),
    held: (pid) => alreadyRunning(siteDir, pid),
    contended: () =>
      new CcmlabError('CCMLAB_E_SITE_RUNNING', `another 'ccmlab site start' keeps claiming ${path.resolve(siteDir)}`),
    staleFiles: [readyFilePath(siteDir)],
  });
  return releasedAtExit(() => {
    removeFile(readyFilePath(siteDir), SITE_LOCK_ROLE);
    if (lockedPid(siteDir) === process.pid) removeFile(file, SITE_LOCK_ROLE);
  });
}

export function writeReadyFile(file: string, ready: ReadyInfo): void {
  writeFileAtomic(file, `${JSON.stringify(ready, null, 2)}\n`);
}

/** `ccmlab site stop`: SIGTERM to the running site, then wait (bounded) until it is gone. */
export async function stopRunningSite(siteDir: string, timeoutMs = 30_000): Promise<number | undefined> {
  const pid = runningSitePid(siteDir);
  if (pid === undefined) return undefined;
  process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + timeoutMs;
  while (isProcessAlive(pid)) {
    if (Date.now() > deadline) {
      throw new CcmlabError(
        'CCMLAB_E_SITE_RUNNING',
        `the site (process ${pid}) did not stop within ${timeoutMs / 1000} s; stop it with kill ${pid}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return pid;
}
