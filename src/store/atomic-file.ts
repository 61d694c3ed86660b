import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

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

/**
 * Creates `dir` (and missing parents) with `mode`; the umask can only narrow an explicit mode.
 * Returns the first directory it made, undefined if `dir` was there already.
 */
export function makeDir(dir: string, mode: number = PUBLIC_DIR_MODE): string | undefined {
  return fs.mkdirSync(dir, { recursive: true, mode });
}

export function writeFileAtomic(file: string, data: string | Buffer, mode = PUBLIC_FILE_MODE, dirMode = PUBLIC_DIR_MODE): void {
  const dir = path.dirname(file);
  makeDir(dir, dirMode);
  const temp = path.join(dir, `.${path.basename(file)}.${process.pid}.${crypto.randomBytes(4).toString('hex')}.tmp`);
  const fd = fs.openSync(temp, 'wx', mode);
  try {
    fs.writeFileSync(fd, data);
    fs.fchmodSync(fd, mode);
    fs.fsyncSync(fd);
  } catch (error) {
    fs.closeSync(fd);
    fs.rmSync(temp, { force: true });
    throw error;
  }
  fs.closeSync(fd);
  try {
    fs.renameSync(temp, file);
  } catch (error) {
    fs.rmSync(temp, { force: true });
    throw error;
  }
  syncDirectory(dir);
}

export function syncDirectory(dir: string): void {
  const fd = fs.openSync(dir, 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/** A regular file's text, refused if it is anything else or larger than `maxBytes` (never read past it). */
export function readBoundedText(file: string, maxBytes: number): string {
  const fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
  try {
    const stat = fs.fstatSync(fd);
    if (!stat.isFile()) throw new Error('it is not a regular file');
    if (stat.size > maxBytes) throw new Error(`it is ${stat.size} bytes, more than ${maxBytes}`);
    const buffer = Buffer.alloc(maxBytes + 1);
    let length = 0;
    for (let n = -1; n !== 0 && length <= maxBytes; length += n) n = fs.readSync(fd, buffer, length, buffer.length - length, null);
    if (length > maxBytes) throw new Error(`it holds more than ${maxBytes} bytes`);
    return buffer.subarray(0, length).toString('utf8');
  } finally {
    fs.closeSync(fd);
  }
}
