import * as fs from 'node:fs';
import { parseCmTrace, type ParsedEntry } from './cmtrace-parse';

/**
 * Follows live logs like `tail -f`, through rollovers: when a path names a new file
 * (the old one was renamed to a history file or `.lo_`), the rest of the old one is read
 * first, then the new one from its start. Only whole records are handed on. One timer
 * polls every file, so following many logs costs one file handle each and no more timers.
 */
export interface FollowTarget {
  file: string;
  /** Byte offset to start at (the size already shown). */
  from: number;
}

export interface FollowOptions {
  intervalMs?: number;
  signal: AbortSignal;
  /** New records, one list per target (same order as the targets), after each poll that found any. */
  onEntries: (entries: ParsedEntry[][]) => void;
}

type Encoding = 'utf8' | 'utf16le';

interface Follower {
  /** Records written since the last poll. */
  poll: () => ParsedEntry[];
  close: () => void;
}

function follower(file: string, from: number): Follower {
  let fd: number | undefined;
  let inode = -1;
  let offset = from;
  let pending = Buffer.alloc(0);
  let encoding: Encoding = 'utf8';

  const open = (start: number): void => {
    try {
      fd = fs.openSync(file, 'r');
    } catch {
      fd = undefined;
      return;
    }
    inode = fs.fstatSync(fd).ino;
    offset = start;
    const head = Buffer.alloc(3);
    const n = fs.readSync(fd, head, 0, 3, 0);
    encoding = n >= 2 && head[0] === 0xff && head[1] === 0xfe ? 'utf16le' : 'utf8';
    const bom = encoding === 'utf16le' ? 2 : n === 3 && head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf ? 3 : 0;
    offset = Math.max(offset, bom);
  };

  const drain = (out: ParsedEntry[]): void => {
    if (fd === undefined) return;
    const chunk = Buffer.alloc(64 * 1024);
    for (;;) {
      const n = fs.readSync(fd, chunk, 0, chunk.length, offset);
      if (n <= 0) break;
      offset += n;
      pending = Buffer.concat([pending, chunk.subarray(0, n)]);
    }
    const usable = encoding === 'utf16le' ? pending.length - (pending.length % 2) : pending.length;
    const text = pending.subarray(0, usable).toString(encoding);
    const parsed = parseCmTrace(text);
    for (const entry of parsed.entries) out.push(entry);
    pending = pending.subarray(Buffer.byteLength(text.slice(0, parsed.end), encoding));
  };

  const close = (): void => {
    if (fd !== undefined) fs.closeSync(fd);
    fd = undefined;
  };

  /** The path now names another file, or the file shrank: finish the old one, start the new one. */
  const reopenIfReplaced = (out: ParsedEntry[]): void => {
    let current: fs.Stats | undefined;
    try {
      current = fs.statSync(file);
    } catch {
      current = undefined;
    }
    if (current && current.ino === inode && current.size >= offset) return;
    close();
    pending = Buffer.alloc(0);
    if (current) {
      open(0);
      drain(out);
    }
  };

  open(from);
  return {
    poll: () => {
      const out: ParsedEntry[] = [];
      if (fd === undefined) open(0);
      drain(out);
      if (fd !== undefined) reopenIfReplaced(out);
      return out;
    },
    close,
  };
}

export function followLogs(targets: readonly FollowTarget[], options: FollowOptions): Promise<void> {
  const followers = targets.map((t) => follower(t.file, t.from));
  const tick = (): void => {
    const found = followers.map((f) => f.poll());
    if (found.some((entries) => entries.length > 0)) options.onEntries(found);
  };
  return new Promise((resolve) => {
    tick();
    const timer = setInterval(tick, options.intervalMs ?? 200);
    const stop = (): void => {
      clearInterval(timer);
      for (const f of followers) f.close();
      resolve();
    };
    if (options.signal.aborted) stop();
    else options.signal.addEventListener('abort', stop, { once: true });
  });
}
