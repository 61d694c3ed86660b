import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CcmlabError, isCcmlabError } from '../core/errors';
import { openForWrite, removeFile, renameEntry } from './file-writes';
import { makeDirectory, type FileRole } from './files';

/**
 * State files are replaced whole or not at all: write a temp file beside the target,
 * fsync it, rename it over the target, fsync the directory. Every file and directory gets
 * an explicit mode, whatever the umask: keys, tokens and private state 0600 in 0700
 * directories; public files (certificates others may read, logs) no more than 0644 in
 * directories no more than 0755.
 */

export const SECRET_FILE_MODE = 0o600;
export const PUBLIC_FILE_MODE = 0o644;
export const PRIVATE_DIR_MODE = 0o700;
export const PUBLIC_DIR_MODE = 0o755;

const STATE_DIRECTORY = {
  label: 'directory',
  code: 'CCMLAB_E_STATE_WRITE',
  fix: 'give a directory that can be created and written to',
} as const;
export const STATE_FILE: FileRole = {
  label: 'state file',
  code: 'CCMLAB_E_STATE_WRITE',
  fix: 'free space or make its directory writable, then run the command again',
};

/**
 * Creates `dir` (and missing parents) with `mode`; the umask can only narrow an explicit mode.
 * Returns the first directory it made, undefined if `dir` was there already.
 */
export function makeDir(dir: string, mode: number = PUBLIC_DIR_MODE): string | undefined {
  return makeDirectory(dir, STATE_DIRECTORY, mode);
}

/**
 * `sync` false replaces the file just as atomically (a reader sees the old file or the new
 * one) but leaves it to the caller to make it durable (`syncPaths`, in one round for many
 * files, as the client source does): a kill -9 loses nothing written, a power loss may.
 */
export function writeFileAtomic(
  file: string,
  data: string | Buffer,
  mode = PUBLIC_FILE_MODE,
  dirMode = PUBLIC_DIR_MODE,
  sync = true,
): void {
  try {
    writeAtomically(file, (fd) => fs.writeFileSync(fd, data), mode, dirMode, sync);
  } catch (error) {
    throw stateWriteError(file, error);
  }
}

/**
 * writeFileAtomic for data made as it is written: each chunk is written and let go, so a
 * file of any size costs the memory of one chunk.
 */
export function writeChunksAtomic(
  file: string,
  chunks: Iterable<Uint8Array>,
  mode = PUBLIC_FILE_MODE,
  dirMode = PUBLIC_DIR_MODE,
  sync = true,
): void {
  try {
    writeAtomically(file, (fd) => writeAll(fd, chunks), mode, dirMode, sync);
  } catch (error) {
    throw stateWriteError(file, error);
  }
}

function writeAll(fd: number, chunks: Iterable<Uint8Array>): void {
  for (const chunk of chunks) {
    for (let written = 0; written < chunk.length;) {
      const n = fs.writeSync(fd, chunk, written);
      if (n === 0) throw new Error('the file system accepted no bytes');
      written += n;
    }
  }
}

/** A failure to write `file`, as the one error a state write gives (a CcmlabError already is one). */
export function stateWriteError(file: string, error: unknown): unknown {
  if (isCcmlabError(error)) return error;
  const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
  return new CcmlabError(
    'CCMLAB_E_STATE_WRITE',
    `${file} cannot be written (${code}); free space or make its directory writable, then run the command again`,
    { cause: error },
  );
}

/** A new name beside `file` for the temp file it is written through. */
export function tempPath(file: string): string {
  return path.join(
    path.dirname(file),
    `.${path.basename(file)}.${process.pid}.${crypto.randomBytes(4).toString('hex')}.tmp`,
  );
}

/**
 * The temp file is made new (a name already there, link or not, is refused). The rename
 * replaces whatever entry `file` is, a link included, and never writes through one.
 */
function writeAtomically(file: string, fill: (fd: number) => void, mode: number, dirMode: number, sync: boolean): void {
  const dir = path.dirname(file);
  makeDir(dir, dirMode);
  const temp = tempPath(file);
  let fd: number;
  try {
    fd = openForWrite(temp, 'create', mode, STATE_FILE);
  } catch (error) {
    // Said of the file being written: the temp file's name means nothing to the user.
    throw stateWriteError(file, (error as Error).cause ?? error);
  }
  try {
    fill(fd);
    fs.fchmodSync(fd, mode);
    if (sync) fs.fsyncSync(fd);
  } catch (error) {
    fs.closeSync(fd);
    removeFile(temp, STATE_FILE);
    throw error;
  }
  fs.closeSync(fd);
  try {
    renameEntry(temp, file, STATE_FILE);
  } catch (error) {
    removeFile(temp, STATE_FILE);
    throw stateWriteError(file, (error as Error).cause);
  }
  if (sync) syncDirectory(dir);
}

/** Makes files and directories durable: resolves once each path given has been fsynced. */
export type Syncer = (paths: readonly string[]) => Promise<void>;

/**
 * fsync of each path (files and directories), concurrently, off the event loop: a Syncer of
 * its own. Opened without blocking, so a pipe put in a file's place cannot hang the sync.
 */
export async function syncPaths(paths: readonly string[]): Promise<void> {
  await Promise.all(paths.map(syncPath));
}

/** Through fs's callbacks, not fs.promises: a FileHandle costs the event loop about twice as much, and a fleet syncs thousands of paths. */
function syncPath(file: string): Promise<void> {
  return new Promise((resolve, reject) => {
    fs.open(file, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK, (openError, fd) => {
      if (openError) return reject(openError);
      fs.fsync(fd, (syncError) =>
        fs.close(fd, (closeError) => (syncError || closeError ? reject(syncError ?? closeError) : resolve())),
      );
    });
  });
}

export function syncDirectory(dir: string): void {
  const fd = fs.openSync(dir, fs.constants.O_RDONLY | fs.constants.O_DIRECTORY | fs.constants.O_NONBLOCK);
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}
