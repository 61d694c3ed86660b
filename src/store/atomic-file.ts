import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CcmlabError, isCcmlabError } from '../core/errors';
import { openForWrite, removeFile, renameEntry, WRITE_FLAGS } from './file-writes';
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
const STATE_FILE: FileRole = {
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
 * one) but leaves it to the caller to make it durable (`syncPaths`): a kill -9 loses nothing
 * written, a power loss may.
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

function stateWriteError(file: string, error: unknown): unknown {
  if (isCcmlabError(error)) return error;
  const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
  return new CcmlabError(
    'CCMLAB_E_STATE_WRITE',
    `${file} cannot be written (${code}); free space or make its directory writable, then run the command again`,
    { cause: error },
  );
}

function tempPath(file: string): string {
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

/**
 * writeFileAtomic with the writes and syncs off the event loop (libuv's thread pool): for
 * callers that write many files at once and must not stall on each fsync. `sync` makes the
 * temp file, then the directory, durable (a GroupSync's, to share fsyncs with other writers).
 */
export async function writeFileAtomicAsync(
  file: string,
  data: string | Buffer,
  mode = PUBLIC_FILE_MODE,
  dirMode = PUBLIC_DIR_MODE,
  sync: Syncer = syncPaths,
): Promise<void> {
  const dir = path.dirname(file);
  const temp = tempPath(file);
  try {
    makeDir(dir, dirMode);
    const handle = await fs.promises.open(temp, WRITE_FLAGS.create, mode);
    try {
      await handle.writeFile(data);
      await handle.chmod(mode);
    } finally {
      await handle.close();
    }
    await sync([temp]);
    await fs.promises.rename(temp, file);
    await sync([dir]);
  } catch (error) {
    await fs.promises.rm(temp, { force: true });
    throw stateWriteError(file, error);
  }
}

/** Makes files and directories durable: resolves once each path given has been fsynced. */
export type Syncer = (paths: readonly string[]) => Promise<void>;

/**
 * fsync of each path (files and directories), concurrently, off the event loop: a Syncer of
 * its own. Opened without blocking, so a pipe put in a file's place cannot hang the sync.
 */
export async function syncPaths(paths: readonly string[]): Promise<void> {
  await Promise.all(
    paths.map(async (p) => {
      const handle = await fs.promises.open(p, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
      try {
        await handle.sync();
      } finally {
        await handle.close();
      }
    }),
  );
}

export function syncDirectory(dir: string): void {
  const fd = fs.openSync(dir, fs.constants.O_RDONLY | fs.constants.O_DIRECTORY | fs.constants.O_NONBLOCK);
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}
