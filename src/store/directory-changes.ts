import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * Tells a cache whether some files of one directory may have changed since it last looked,
 * so a long-running process (the site, an agent) can keep what it read from them without a
 * system call per use.
 *
 * On Linux an inotify watch on the directory does it: the kernel queues the event when the
 * file is replaced, and the event loop reads that queue before any socket that became
 * readable later, so a request sent after `clock set` or `site certs renew` returned is
 * handled after the cache heard of the change. Elsewhere (where watch events may lag), and
 * while the directory does not exist, the files are stat'ed once per synchronous run of
 * JavaScript: no outside change can be observed within one run, so one look serves it all.
 */

export interface ChangeStamp {
  /** Differs from the last one whenever a file may have changed. Take it before reading the files. */
  stamp(): string;
}

class DirectoryChanges implements ChangeStamp {
  private watcher: fs.FSWatcher | undefined;
  private events = 0;
  private memo: string | undefined;

  constructor(
    private readonly dir: string,
    private readonly names: readonly string[],
    private watchable: boolean,
  ) {}

  stamp(): string {
    if (this.watcher) return `w${this.events}`;
    if (this.memo === undefined) {
      if (this.watchable && this.startWatching()) return `w${this.events}`;
      this.memo = `s${this.names.map((name) => fileStamp(path.join(this.dir, name))).join('|')}`;
      queueMicrotask(() => (this.memo = undefined));
    }
    return this.memo;
  }

  /** A change this process made itself: seen at once, not when its event arrives. */
  changed(): void {
    this.events++;
    this.memo = undefined;
  }

  private startWatching(): boolean {
    if (!fs.statSync(this.dir, { throwIfNoEntry: false })?.isDirectory()) return false;
    try {
      this.watcher = fs.watch(this.dir, { persistent: false }, (_event, file) =>
        this.onEvent(file === null ? null : String(file)),
      );
    } catch {
      // No watch to be had (the system's limit on watches, say): stat from now on.
      this.watchable = false;
      return false;
    }
    this.watcher.on('error', () => this.stopWatching());
    return true;
  }

  private onEvent(file: string | null): void {
    if (file === null || this.names.includes(file)) this.events++;
    // The directory itself was removed or moved away: the watch is dead; look again once it exists.
    if (file === path.basename(this.dir)) this.stopWatching();
  }

  private stopWatching(): void {
    this.watcher?.close();
    this.watcher = undefined;
    this.changed();
  }
}

function fileStamp(file: string): string {
  const stat = fs.statSync(file, { throwIfNoEntry: false });
  return stat ? `${stat.ino}:${stat.mtimeMs}:${stat.size}` : '-';
}

/** One watcher per directory and file set in a process, however many caches ask. */
const watched = new Map<string, DirectoryChanges>();

export function directoryChanges(
  dir: string,
  names: readonly string[],
  watch = process.platform === 'linux',
): ChangeStamp {
  const key = `${path.resolve(dir)}\0${names.join('\0')}\0${watch}`;
  let changes = watched.get(key);
  if (!changes) {
    changes = new DirectoryChanges(path.resolve(dir), names, watch);
    watched.set(key, changes);
  }
  return changes;
}

/** After this process wrote files of `dir`: every cache of them reads them again at its next use. */
export function noteDirectoryChanged(dir: string): void {
  const prefix = `${path.resolve(dir)}\0`;
  for (const [key, changes] of watched) if (key.startsWith(prefix)) changes.changed();
}
