import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CcmlabError, ERRORS, type ErrorCode } from '../core/errors';
import { openForWrite, removeTree } from '../store/file-writes';
import type { FileRole } from '../store/files';

const ERR_FILE: FileRole = { label: "the site's error file", code: 'CCMLAB_E_STATE_WRITE', fix: 'make the temporary directory (TMPDIR) writable' };

/**
 * `site start --detach`: the same command in a process of its own that outlives this one.
 * It is waited for until it prints its URLs (one JSON document), which are handed back;
 * if it exits first, its error is this command's.
 */
export function startDetached(argv: readonly string[], timeoutMs = 60_000): Promise<Record<string, unknown>> {
  const args = [process.argv[1], ...argv.filter((a) => a !== '--detach'), '--json'];
  // Its stderr goes to a file, not a pipe: a pipe closed behind it would break its later writes.
  // The file is made new in a directory of this process's own (mkdtemp, 0700), where no name can be planted.
  const errDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ccmlab-site-'));
  const errFile = path.join(errDir, 'stderr');
  const errFd = openForWrite(errFile, 'create', 0o600, ERR_FILE);
  const child = spawn(process.execPath, args, { detached: true, stdio: ['ignore', 'pipe', errFd] });
  fs.closeSync(errFd);
  const stderr = () => {
    try {
      return fs.readFileSync(errFile, 'utf8').slice(-4096);
    } catch {
      return '';
    } finally {
      removeTree(errDir, ERR_FILE);
    }
  };
  return new Promise((resolve, reject) => {
    let stdout = '';
    const timer = setTimeout(() => {
      child.kill('SIGTERM');
      reject(new CcmlabError('CCMLAB_E_LISTEN', `the site did not start within ${timeoutMs / 1000} s; run 'ccmlab site start' without --detach to see why`));
    }, timeoutMs);
    child.stdout?.on('data', (d: Buffer) => {
      stdout += d.toString();
      let ready: Record<string, unknown>;
      try {
        ready = JSON.parse(stdout) as Record<string, unknown>;
      } catch {
        return;
      }
      if ('error' in ready) return; // its error comes with its exit
      clearTimeout(timer);
      // The site writes nothing more to stdout; letting go of the pipe lets this process end.
      child.stdout?.destroy();
      child.unref();
      stderr();
      resolve(ready);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      const written = stderr().trim().split('\n').pop() ?? '';
      let reported: { code?: string; message?: string } | undefined;
      try {
        reported = (JSON.parse(stdout) as { error?: { code?: string; message?: string } }).error;
      } catch {
        reported = undefined;
      }
      // The site's own refusal (already running, a busy port) is this command's, code and all.
      if (reported?.code && reported.code in ERRORS && reported.message) reject(new CcmlabError(reported.code as ErrorCode, reported.message));
      else reject(new CcmlabError('CCMLAB_E_LISTEN', `the site stopped at start (exit ${String(code)}): ${reported?.message ?? written}`));
    });
  });
}
