import * as path from 'node:path';
import { makeDir, STATE_FILE, stateWriteError, tempPath, writeFileAtomic, type Syncer } from './atomic-file';
import { removeFile, renameEntry, writeNewFile } from './file-writes';
import type { FileRole } from './files';

/**
 * Where a program writes its state files. Each file is replaced whole or not at all (a temp
 * file renamed over it) with an explicit mode, and once `flush` resolves everything written or
 * removed through the store is durable. Two stores:
 * - `durableFiles` (ccmsetup, the agent): each file synced before the next is written, as one
 *   client on its own machine does; `flush` has nothing left to do.
 * - `GroupedFiles` (the fleet, one per client): writes wait for `flush`, which makes them durable
 *   in two rounds of fsyncs (the temp files, then their directories once the files are renamed)
 *   shared with the fleet's other clients (a GroupSync). A write of what the store knows a file
 *   durably holds already is skipped: a fleet client's keys, fixed before its first request, are
 *   not written again when its install saves its state.
 */

export interface StateStore {
  /** `file` replaced by `data` with `mode`, its directory made with `dirMode`; files are renamed into place in the order written. */
  write(file: string, data: string, mode: number, dirMode: number): void;
  /** `file` removed (a link itself, never what it names), if it is there. */
  remove(file: string, role: FileRole): void;
  flush(): Promise<void>;
}

export const durableFiles: StateStore = {
  write: (file, data, mode, dirMode) => writeFileAtomic(file, data, mode, dirMode),
  remove: (file, role) => void removeFile(file, role),
  flush: () => Promise.resolve(),
};

interface PendingWrite {
  data: string;
  mode: number;
  dirMode: number;
}

/**
 * Makes `dir` if it is missing; returns the directories whose entries a write there changes:
 * `dir` itself and, for each level made, the directory holding it.
 */
function makeForWrite(dir: string, mode: number): string[] {
  const made = makeDir(dir, mode);
  const changed = [dir];
  if (made === undefined) return changed;
  for (let level = dir; level !== made; level = path.dirname(level)) changed.push(path.dirname(level));
  changed.push(path.dirname(made));
  return changed;
}

/** A temp file left by a failed flush goes; failing that, it stays (the error reported is the flush's). */
function removeQuietly(temp: string): void {
  try {
    removeFile(temp, STATE_FILE);
  } catch {
    // The flush's own error says what went wrong.
  }
}

export class GroupedFiles implements StateStore {
  private pending = new Map<string, PendingWrite>();
  /** What each file is known to hold durably: written by a flush, or read back from disk by the caller. */
  private readonly held = new Map<string, string>();
  /** Directories with an entry removed since the last flush. */
  private changedDirs = new Set<string>();

  /** `sync`: a GroupSync's, so that the fsyncs of many stores share rounds. */
  constructor(private readonly sync: Syncer) {}

  /** Records that `file` durably holds `data` (read back from disk): writing it again is skipped. */
  holds(file: string, data: string): void {
    this.held.set(path.resolve(file), data);
  }

  write(file: string, data: string, mode: number, dirMode: number): void {
    const key = path.resolve(file);
    // Deleted first: a file written again is renamed in the place of its last write.
    this.pending.delete(key);
    if (this.held.get(key) !== data) this.pending.set(key, { data, mode, dirMode });
  }

  remove(file: string, role: FileRole): void {
    const key = path.resolve(file);
    this.pending.delete(key);
    this.held.delete(key);
    if (removeFile(key, role)) this.changedDirs.add(path.dirname(key));
  }

  /**
   * Every pending file written to a temp file beside it, the temp files synced (one round),
   * renamed over their files in the order written, then their directories synced (a second
   * round). On the event loop: a write to the page cache costs less there than a trip through
   * the thread pool, where it would queue behind the fsyncs.
   */
  async flush(): Promise<void> {
    const writes = [...this.pending].map(([file, write]) => ({ file, temp: tempPath(file), ...write }));
    const dirs = this.changedDirs;
    this.pending = new Map();
    this.changedDirs = new Set();
    let current = writes[0]?.file ?? [...dirs][0] ?? '';
    try {
      for (const write of writes) {
        current = write.file;
        for (const dir of makeForWrite(path.dirname(write.file), write.dirMode)) dirs.add(dir);
        writeNewFile(write.temp, write.data, write.mode, STATE_FILE);
      }
      if (writes.length > 0) await this.sync(writes.map((write) => write.temp));
      for (const write of writes) {
        current = write.file;
        renameEntry(write.temp, write.file, STATE_FILE);
      }
      if (dirs.size > 0) await this.sync([...dirs]);
    } catch (error) {
      for (const write of writes) removeQuietly(write.temp);
      // Said of the file being written: a temp file's name means nothing to the user.
      throw stateWriteError(current, (error as Error).cause ?? error);
    }
    for (const write of writes) this.held.set(write.file, write.data);
  }
}
