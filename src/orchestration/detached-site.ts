import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CcmlabError, ERRORS, type ErrorCode } from '../core/errors';
import { refuseIfRunning } from '../site/site-instance';
import type { ReadyInfo } from '../site/site-server';
import { SECRET_FILE_MODE } from '../store/atomic-file';
import { openForWrite, removeFile } from '../store/file-writes';
import { readBoundedText, type FileRole } from '../store/files';
import { checkSiteStart, type SiteRunOptions } from './run-site';

/** A detached site's stderr, in its site directory. */
const CONSOLE_FILE = 'console.log';

const CONSOLE_FILE_ROLE: FileRole = {
  label: "the detached site's console file",
  code: 'CCMLAB_E_STATE_WRITE',
  fix: 'remove it and start the site again',
};

/** The detached site's stderr, made afresh: the last run's goes (a link itself, never what it names), a new file is made in its place. */
function openConsoleFile(file: string): number {
  removeFile(file, CONSOLE_FILE_ROLE);
  return openForWrite(file, 'create', SECRET_FILE_MODE, CONSOLE_FILE_ROLE);
}

/**
 * `site start --detach`: the site and its lab's files checked here, and a start refused while a
 * site runs on the directory (before its console.log is touched); then the foreground command
 * (`command`: node's arguments for it, the script first) runs the site in a process of its own.
 */
export async function startDetachedSite(
  options: SiteRunOptions,
  command: readonly string[],
): Promise<{ ready: ReadyInfo; consoleFile: string }> {
  checkSiteStart(options);
  refuseIfRunning(options.siteDir);
  const consoleFile = path.resolve(options.siteDir, CONSOLE_FILE);
  return { ready: await startDetached(command, consoleFile), consoleFile };
}

/**
 * The same command in a process of its own that outlives this one. It is waited for until it
 * prints its URLs (one JSON document), which are handed back; if it exits first, its error is
 * this command's. What it says on stderr later (a lab file that turned bad, its stop) goes to
 * `consoleFile`, kept while it runs.
 */
function startDetached(command: readonly string[], consoleFile: string, timeoutMs = 60_000): Promise<ReadyInfo> {
  const args = [...command.filter((a) => a !== '--detach'), '--json'];
  // Its stderr goes to a file, not a pipe: a pipe closed behind it would break its later writes.
  const errFd = openConsoleFile(consoleFile);
  const child = spawn(process.execPath, args, { detached: true, stdio: ['ignore', 'pipe', errFd] });
  fs.closeSync(errFd);
  const stderr = () => {
    try {
      return readBoundedText(consoleFile, 1024 * 1024, CONSOLE_FILE_ROLE).slice(-4096);
    } catch {
      return '';
    }
  };
  return new Promise((resolve, reject) => {
    let stdout = '';
    const timer = setTimeout(() => {
      child.kill('SIGTERM');
      reject(
        new CcmlabError(
          'CCMLAB_E_LISTEN',
          `the site did not start within ${timeoutMs / 1000} s; run 'ccmlab site start' without --detach to see why`,
        ),
      );
    }, timeoutMs);
    child.stdout?.on('data', (d: Buffer) => {
      stdout += d.toString();
      let ready: ReadyInfo | { error: unknown };
      try {
        ready = JSON.parse(stdout);
      } catch {
        return;
      }
      if ('error' in ready) return; // its error comes with its exit
      clearTimeout(timer);
      // The site writes nothing more to stdout; letting go of the pipe lets this process end.
      child.stdout?.destroy();
      child.unref();
      resolve(ready);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      const written = stderr().trim().split('\n').pop() ?? '';
      // A start that failed leaves nothing behind.
      removeFile(consoleFile, CONSOLE_FILE_ROLE);
      let reported: { code?: string; message?: string } | undefined;
      try {
        reported = (JSON.parse(stdout) as { error?: { code?: string; message?: string } }).error;
      } catch {
        reported = undefined;
      }
      // The site's own refusal (already running, a busy port) is this command's, code and all.
      if (reported?.code && reported.code in ERRORS && reported.message)
        reject(new CcmlabError(reported.code as ErrorCode, reported.message));
      else
        reject(
          new CcmlabError(
            'CCMLAB_E_LISTEN',
            `the site stopped at start (exit ${String(code)}): ${reported?.message ?? written}`,
          ),
        );
    });
  });
}
