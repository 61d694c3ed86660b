import * as fs from 'node:fs';
import * as path from 'node:path';
import { isCcmlabError } from '../core/errors';
import { entryAt, errnoOf, fileFailure, kindOf, openFailureReason, type FileRole } from './files';

/**
 * The one way ccmlab writes, re-modes, renames and removes files (ESLint bans the raw calls
 * outside store/): the directories it writes to (logs, journals, lab files, state) may be
 * shared, and a name planted there must not redirect a write or a removal elsewhere, nor
 * hang the tool.
 *
 * A file is opened without following a final symbolic link and without blocking
 * (O_NOFOLLOW | O_NONBLOCK), then checked on its descriptor: anything but a regular file
 * with one name (a pipe, a device, a directory, a hard link to another file) is refused. A
 * removal removes the entry itself (a link goes, never what it points to), and never walks
 * through a link below the directory the caller owns.
 */

const { O_WRONLY, O_RDONLY, O_CREAT, O_APPEND, O_EXCL, O_NOFOLLOW, O_NONBLOCK, O_DIRECTORY } = fs.constants;

/** `append`: made if missing, written at its end; `create`: made new, refused if the name exists (even as a link). */
export type WriteOpen = 'append' | 'create';

export const WRITE_FLAGS: Readonly<Record<WriteOpen, number>> = {
  append: O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW | O_NONBLOCK,
  create: O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_NONBLOCK,
};

/** Refuses anything but a regular file with this one name, from its stat (an lstat, or fstat of an open descriptor). */
function refuseUnlessSoleRegular(stat: fs.Stats, file: string, role: FileRole): void {
  if (!stat.isFile()) fileFailure(role, file, `is ${kindOf(stat)}, not a regular file`);
  if (stat.nlink > 1)
    fileFailure(
      role,
      file,
      `is a hard link to a file with ${stat.nlink - 1} other name(s), which ccmlab does not write through`,
    );
}

/**
 * Refuses `file` now if its name is taken by anything but a regular file of that one name (a
 * link, a hard link, a pipe, a device, a directory); a missing file passes. For checks before a command changes anything,
 * and for files another library opens (SQLite): openForWrite checks again on its descriptor.
 */
export function refuseIfNotRegular(file: string, role: FileRole): void {
  const entry = entryAt(file);
  if (entry?.isSymbolicLink()) fileFailure(role, file, 'is a symbolic link, which ccmlab does not follow here');
  if (entry) refuseUnlessSoleRegular(entry, file, role);
}

/**
 * A regular file opened for writing (`mode` applies when it is made; the umask can only
 * narrow it). Every refusal and failure is one error with the role's code.
 */
export function openForWrite(file: string, how: WriteOpen, mode: number, role: FileRole): number {
  let fd: number;
  try {
    fd = fs.openSync(file, WRITE_FLAGS[how], mode);
  } catch (error) {
    return fileFailure(role, file, openFailureReason(file, error, 'written', true), error);
  }
  try {
    refuseUnlessSoleRegular(fs.fstatSync(fd), file, role);
    return fd;
  } catch (error) {
    fs.closeSync(fd);
    if (isCcmlabError(error)) throw error;
    return fileFailure(role, file, `cannot be written (${errnoOf(error) ?? String(error)})`, error);
  }
}

/** A new file holding `data`, with exactly `mode` (set on the descriptor, whatever the umask). */
export function writeNewFile(file: string, data: string | Buffer, mode: number, role: FileRole): void {
  const fd = openForWrite(file, 'create', mode, role);
  try {
    fs.writeFileSync(fd, data);
    fs.fchmodSync(fd, mode);
  } catch (error) {
    return fileFailure(role, file, `cannot be written (${errnoOf(error) ?? String(error)})`, error);
  } finally {
    fs.closeSync(fd);
  }
}

/** Sets a directory's mode through a descriptor of the directory itself: a link in its place is refused, not followed. */
export function setDirectoryMode(dir: string, mode: number, role: FileRole): void {
  let fd: number;
  try {
    fd = fs.openSync(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_NONBLOCK);
  } catch (error) {
    const entry = entryAt(dir);
    if (entry?.isSymbolicLink())
      return fileFailure(role, dir, 'is a symbolic link, which ccmlab does not change the mode of');
    if (entry && !entry.isDirectory()) return fileFailure(role, dir, `is ${kindOf(entry)}, not a directory`);
    return fileFailure(role, dir, `cannot be changed (${errnoOf(error) ?? String(error)})`, error);
  }
  try {
    fs.fchmodSync(fd, mode);
  } catch (error) {
    fileFailure(role, dir, `cannot be changed (${errnoOf(error) ?? String(error)})`, error);
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Narrows a directory ccmlab keeps its state in to `mode`. One the user named may be a link
 * to a directory of theirs: it is left as it is (what it names is not ccmlab's to re-mode).
 */
export function narrowDirectory(dir: string, mode: number, role: FileRole): void {
  if (entryAt(dir)?.isSymbolicLink()) return;
  setDirectoryMode(dir, mode, role);
}

/** Renames an entry (neither end's final link is followed: a link at `to` is replaced, not written through). */
export function renameEntry(from: string, to: string, role: FileRole): void {
  try {
    fs.renameSync(from, to);
  } catch (error) {
    fileFailure(role, from, `cannot be renamed to ${to} (${errnoOf(error) ?? String(error)})`, error);
  }
}

/** Removes the file or link at `file` (a link itself, never what it points to); false when there was none. A directory is refused. */
export function removeFile(file: string, role: FileRole): boolean {
  try {
    fs.unlinkSync(file);
    return true;
  } catch (error) {
    return removalFailed(file, error, role);
  }
}

/** removeFile off the event loop. */
export async function removeFileAsync(file: string, role: FileRole): Promise<boolean> {
  try {
    await fs.promises.unlink(file);
    return true;
  } catch (error) {
    return removalFailed(file, error, role);
  }
}

function removalFailed(file: string, error: unknown, role: FileRole): false {
  const code = errnoOf(error) ?? String(error);
  if (code === 'ENOENT' || code === 'ENOTDIR') return false;
  if (code === 'EISDIR' || entryAt(file)?.isDirectory())
    return fileFailure(role, file, 'is a directory, not a file ccmlab removes');
  return fileFailure(role, file, `cannot be removed (${code})`, error);
}

/**
 * Refuses a symbolic link at any level below `root` down to `target` (both absolute or both
 * relative to one directory; `root` itself is the caller's and may be one). Returns false
 * when a level is missing or not a directory: nothing is there to write or remove through.
 */
export function refuseLinksBelow(root: string, target: string, role: FileRole): boolean {
  const relative = path.relative(path.resolve(root), path.resolve(target));
  if (relative.startsWith('..') || path.isAbsolute(relative)) return fileFailure(role, target, `is not inside ${root}`);
  let current = path.resolve(root);
  for (const part of relative === '' ? [] : relative.split(path.sep)) {
    current = path.join(current, part);
    const entry = entryAt(current);
    if (entry === undefined) return false;
    if (entry.isSymbolicLink())
      return fileFailure(role, current, 'is a symbolic link, which ccmlab does not write or remove through');
    if (current !== path.resolve(target) && !entry.isDirectory()) return false;
  }
  return true;
}

/**
 * Removes `target` and, if it is a directory, all it holds; false when there was nothing.
 * A link is removed itself; no link is followed inside the tree (Node's rm looks at each
 * entry with lstat). With `within`, the levels between it and `target` must be directories,
 * not links (a planted link there would move the removal elsewhere).
 */
export function removeTree(target: string, role: FileRole, within?: string): boolean {
  if (within !== undefined && !refuseLinksBelow(within, path.dirname(target), role)) return false;
  const entry = entryAt(target);
  if (entry === undefined) return false;
  try {
    if (entry.isDirectory()) fs.rmSync(target, { recursive: true, force: true });
    else fs.unlinkSync(target);
  } catch (error) {
    fileFailure(role, target, `cannot be removed (${errnoOf(error) ?? String(error)})`, error);
  }
  return true;
}
