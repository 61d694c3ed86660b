import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Readable } from 'node:stream';

/**
 * Reading a tree ccmlab serves (the site's client source) as a Windows server would show
 * it: names matched without regard to case, and nothing but regular files and directories,
 * no symbolic link followed at any level. Directory scans stop at a bound; a file is read
 * from the descriptor the lookup checked, in bounded chunks, no further than asked.
 */

export type TreeEntry =
  | { kind: 'file'; path: string; name: string; stat: fs.Stats }
  | { kind: 'directory'; path: string; name: string; stat: fs.Stats };

export type TreeLookup = TreeEntry | { kind: 'missing' } | { kind: 'refused'; reason: string };

/** Largest directory a lookup scans for a name in another case, or a listing lists. */
export const MAX_DIRECTORY_ENTRIES = 4096;
const READ_CHUNK = 256 * 1024;

function entryOf(file: string, name: string): TreeLookup {
  let stat: fs.Stats;
  try {
    stat = fs.lstatSync(file);
  } catch {
    return { kind: 'missing' };
  }
  if (stat.isSymbolicLink()) return { kind: 'refused', reason: `${file} is a symbolic link` };
  if (stat.isFile()) return { kind: 'file', path: file, name, stat };
  if (stat.isDirectory()) return { kind: 'directory', path: file, name, stat };
  return { kind: 'refused', reason: `${file} is neither a file nor a directory` };
}

/** The name in `dir` equal to `name` but for case (the first in sort order if several), or why none is. */
function nameInAnyCase(dir: string, name: string): string | { kind: 'missing' } | { kind: 'refused'; reason: string } {
  const wanted = name.toLowerCase();
  const found: string[] = [];
  let handle: fs.Dir;
  try {
    handle = fs.opendirSync(dir);
  } catch {
    return { kind: 'missing' };
  }
  try {
    for (let seen = 0; ; seen++) {
      const entry = handle.readSync();
      if (entry === null) break;
      if (seen >= MAX_DIRECTORY_ENTRIES)
        return { kind: 'refused', reason: `${dir} holds more than ${MAX_DIRECTORY_ENTRIES} entries` };
      if (entry.name.toLowerCase() === wanted) found.push(entry.name);
    }
  } finally {
    handle.closeSync();
  }
  return found.length === 0 ? { kind: 'missing' } : found.sort()[0];
}

/**
 * `root/names[0]/names[1]/…`, each name taken as written if it is there and else in any
 * case. `root` itself must be a directory, not a link. Names must be single path parts.
 */
export function findBelow(root: string, names: readonly string[]): TreeLookup {
  let current = entryOf(root, path.basename(root));
  for (const name of names) {
    if (name === '' || name === '.' || name === '..' || /[/\0]/.test(name))
      return { kind: 'refused', reason: `'${name}' is not a single name` };
    if (current.kind !== 'directory') return current.kind === 'file' ? { kind: 'missing' } : current;
    let next = entryOf(path.join(current.path, name), name);
    if (next.kind === 'missing') {
      const other = nameInAnyCase(current.path, name);
      if (typeof other !== 'string') return other;
      next = entryOf(path.join(current.path, other), other);
    }
    current = next;
  }
  return current;
}

/** The files and directories in `dir` (links and special files left out), sorted by name; undefined past the bound. */
export function listDirectory(dir: string): TreeEntry[] | undefined {
  const entries: TreeEntry[] = [];
  const handle = fs.opendirSync(dir);
  try {
    for (let seen = 0; ; seen++) {
      const entry = handle.readSync();
      if (entry === null) break;
      if (seen >= MAX_DIRECTORY_ENTRIES) return undefined;
      const found = entryOf(path.join(dir, entry.name), entry.name);
      if (found.kind === 'file' || found.kind === 'directory') entries.push(found);
    }
  } finally {
    handle.closeSync();
  }
  return entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/**
 * Bytes `start` to `end` (inclusive) of the file a lookup found, or undefined if the name
 * now holds another file, a changed one, or none. Opened without following a link or blocking; the stream
 * reads no more than asked, and ends short if the file shrank (the caller counts).
 */
export function openFileRange(
  entry: Extract<TreeEntry, { kind: 'file' }>,
  start: number,
  end: number,
): Readable | undefined {
  let fd: number;
  try {
    fd = fs.openSync(entry.path, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW | fs.constants.O_NONBLOCK);
  } catch {
    return undefined;
  }
  const stat = fs.fstatSync(fd);
  const was = entry.stat;
  if (
    !stat.isFile() ||
    stat.ino !== was.ino ||
    stat.dev !== was.dev ||
    stat.size !== was.size ||
    stat.mtimeMs !== was.mtimeMs
  ) {
    fs.closeSync(fd);
    return undefined;
  }
  return fs.createReadStream('', { fd, start, end, highWaterMark: READ_CHUNK, autoClose: true });
}
