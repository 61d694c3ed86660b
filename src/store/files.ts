import * as fs from 'node:fs';
import * as path from 'node:path';
import { CcmlabError, isCcmlabError, type ErrorCode } from '../core/errors';

/**
 * Reading the files users name and the state ccmlab keeps, and making the directories it
 * writes to, so that no path can hang a tool (a FIFO, /dev/zero), fill its memory, or
 * spin it (Node's recursive mkdir loops forever under /proc/self), and every failure is a
 * one-line error with the caller's code.
 */

export interface FileRole {
  /** How the message names the file: `--ca-file`, `client state file`; one ending in ':' is written against it (`/config:x.tcf`). */
  label: string;
  /** The error code of every failure with this file. */
  code: ErrorCode;
  /** What to do about it: the end of the message. */
  fix: string;
}

/** The one-line error "<label> <file> <reason>; <fix>" with the role's code. */
export function fileFailure(role: FileRole, file: string, reason: string, cause?: unknown): never {
  const name = role.label.endsWith(':') ? `${role.label}${file}` : `${role.label} ${file}`;
  throw new CcmlabError(role.code, `${name} ${reason}; ${role.fix}`, cause === undefined ? {} : { cause });
}

/** An errno in words, for "<label> <file> <reason>". */
function errnoReason(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code ?? '';
  const reasons: Record<string, string> = {
    ENOENT: 'does not exist',
    ENOTDIR: 'does not exist (a part of its path is a file, not a directory)',
    EACCES: 'cannot be used (permission denied)',
    EPERM: 'cannot be used (operation not permitted)',
    ENAMETOOLONG: 'has a name too long for the file system',
    ELOOP: 'has a symbolic link loop in its path',
    EROFS: 'is on a read-only file system',
    ENOSPC: 'cannot be written (no space left on the device)',
    EISDIR: 'is a directory',
  };
  return reasons[code] ?? `cannot be used (${errnoCode(error)})`;
}

function errnoCode(error: unknown): string {
  return (error as NodeJS.ErrnoException).code ?? (error as Error).message;
}

/** The errno code of a failure, or of the failure a file error was made from (its cause). */
export function errnoOf(error: unknown): string | undefined {
  const errno = isCcmlabError(error)
    ? (error.cause as NodeJS.ErrnoException | undefined)
    : (error as NodeJS.ErrnoException | undefined);
  return errno?.code;
}

/** The entry at `file` itself (a link, not what it points to); undefined if there is none. */
export function entryAt(file: string): fs.Stats | undefined {
  try {
    return fs.lstatSync(file);
  } catch {
    return undefined;
  }
}

/**
 * Why an open of `file` failed, in words. A link refused by O_NOFOLLOW (ELOOP; EMLINK on
 * BSDs), a pipe with no reader refused by O_NONBLOCK (ENXIO) and a directory (EISDIR) are
 * named for what is there; any other errno is given as it is.
 */
export function openFailureReason(file: string, error: unknown, verb: 'read' | 'written', noFollow: boolean): string {
  const code = errnoOf(error) ?? String(error);
  if (['ELOOP', 'EMLINK', 'ENXIO', 'EISDIR', 'ENODEV'].includes(code)) {
    const entry = entryAt(file);
    if (entry?.isSymbolicLink() && noFollow) return 'is a symbolic link, which ccmlab does not follow here';
    if (entry && !entry.isSymbolicLink() && !entry.isFile()) return `is ${kindOf(entry)}, not a regular file`;
  }
  if (code === 'EEXIST') return 'already exists';
  return verb === 'read' ? errnoReason(error) : `cannot be written (${code})`;
}

export function kindOf(stat: fs.Stats): string {
  if (stat.isFile()) return 'a file';
  if (stat.isDirectory()) return 'a directory';
  if (stat.isFIFO()) return 'a pipe';
  if (stat.isCharacterDevice()) return 'a character device';
  if (stat.isBlockDevice()) return 'a block device';
  if (stat.isSocket()) return 'a socket';
  return 'a special file';
}

/**
 * The whole of a regular file of at most `maxBytes`. Opened without blocking (a FIFO
 * cannot stall the open), checked with fstat on the open descriptor, read to the cap and
 * no further (a file that grows meanwhile is refused too).
 */
export function readBoundedFile(file: string, maxBytes: number, role: FileRole, options: ReadOptions = {}): Buffer {
  const fd = openForRead(file, role, options);
  try {
    const stat = fs.fstatSync(fd);
    if (stat.size > maxBytes) fileFailure(role, file, `is ${stat.size} bytes, more than the ${maxBytes} allowed`);
    return readToCap(fd, stat.size, maxBytes, () =>
      fileFailure(role, file, `grew past the ${maxBytes} bytes allowed while it was read`),
    );
  } catch (error) {
    if (isCcmlabError(error)) throw error;
    return fileFailure(role, file, errnoReason(error), error);
  } finally {
    fs.closeSync(fd);
  }
}

export interface ReadOptions {
  /** false: a final symbolic link is refused, not followed (ccmlab's own files: locks, journals). */
  follow?: boolean;
}

/**
 * A regular file opened for reading: without blocking (a FIFO cannot stall the open), the
 * descriptor checked with fstat (a pipe, a device or a directory is refused).
 */
export function openForRead(file: string, role: FileRole, options: ReadOptions = {}): number {
  const noFollow = options.follow === false ? fs.constants.O_NOFOLLOW : 0;
  let fd: number;
  try {
    fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK | noFollow);
  } catch (error) {
    return fileFailure(role, file, openFailureReason(file, error, 'read', noFollow !== 0), error);
  }
  try {
    const stat = fs.fstatSync(fd);
    if (!stat.isFile()) fileFailure(role, file, `is ${kindOf(stat)}, not a regular file`);
    return fd;
  } catch (error) {
    fs.closeSync(fd);
    if (isCcmlabError(error)) throw error;
    return fileFailure(role, file, errnoReason(error), error);
  }
}

/** Reads to end of file, never more than maxBytes + 1 bytes (memory follows the file, not the cap). */
function readToCap(fd: number, size: number, maxBytes: number, tooLarge: () => never): Buffer {
  const chunks: Buffer[] = [];
  let length = 0;
  for (;;) {
    const chunk = Buffer.allocUnsafe(Math.min(Math.max(size + 1, 64 * 1024), maxBytes + 1 - length));
    const n = fs.readSync(fd, chunk, 0, chunk.length, null);
    if (n === 0) return Buffer.concat(chunks, length);
    chunks.push(chunk.subarray(0, n));
    length += n;
    if (length > maxBytes) tooLarge();
  }
}

/** readBoundedFile as UTF-8 text. */
export function readBoundedText(file: string, maxBytes: number, role: FileRole, options: ReadOptions = {}): string {
  return readBoundedFile(file, maxBytes, role, options).toString('utf8');
}

/**
 * `mkdir -p` that always ends: finds the nearest existing ancestor, then makes each
 * missing level once. A level that cannot be made is an error, never a retry. Returns the
 * first directory it made (as mkdir -p reports it), undefined when `dir` was there.
 */
export function makeDirectory(dir: string, role: FileRole, mode = 0o755): string | undefined {
  const missing: string[] = [];
  for (let current = path.resolve(dir); ; current = path.dirname(current)) {
    let stat: fs.Stats | undefined;
    try {
      stat = fs.statSync(current);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT')
        fileFailure(role, dir, `cannot be made (${errnoCode(error)} at ${current})`, error);
    }
    if (stat && !stat.isDirectory())
      fileFailure(role, dir, `cannot be made: ${current} is ${kindOf(stat)}, not a directory`);
    if (stat || path.dirname(current) === current) break;
    missing.unshift(current);
  }
  for (const level of missing) {
    try {
      fs.mkdirSync(level, { mode });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || !fs.statSync(level).isDirectory())
        fileFailure(role, dir, `cannot be made (${errnoCode(error)} at ${level})`, error);
    }
  }
  return missing[0];
}

/** Removes `dir`, then its parents up to `top`, while each is empty. */
export function removeEmptyDirs(dir: string, top: string): void {
  for (let current = path.resolve(dir); ; current = path.dirname(current)) {
    try {
      fs.rmdirSync(current);
    } catch {
      return;
    }
    if (current === path.resolve(top)) return;
  }
}
