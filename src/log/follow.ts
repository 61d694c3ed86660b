import * as fs from 'node:fs';
import { openForRead } from '../store/files';
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

const FOLLOWED_LOG = {
  label: 'log file',
  code: 'CCMLAB_E_FILE_UNREADABLE',
  fix: 'give the path of a .log file',
} as const;

/**
 * Bytes kept of a record not yet whole: past this, what is pending is not a record being
 * written but text that never closes one, and is dropped rather than read again every poll.
 */
export const MAX_PENDING_BYTES = 4 * 1024 * 1024;

/** Bytes read of one file in one poll; what is left is read at the next. */
const READ_PER_POLL = 1024 * 1024;

/** One followed file: where reading stopped and the bytes of a record not yet whole. */
class Follower {
  private fd: number | undefined;
  private inode = -1;
  private offset: number;
  private pending = Buffer.alloc(0);
  private encoding: Encoding = 'utf8';

  constructor(
    private readonly file: string,
    from: number,
  ) {
    this.offset = from;
    this.open(from);
  }

  /** Records written since the last poll. */
  poll(): ParsedEntry[] {
    const out: ParsedEntry[] = [];
    if (this.fd === undefined) this.open(0);
    this.drain(out);
    if (this.fd !== undefined) this.reopenIfReplaced(out);
    return out;
  }

  close(): void {
    if (this.fd !== undefined) fs.closeSync(this.fd);
    this.fd = undefined;
  }

  private open(start: number): void {
    try {
      // Without blocking, and only a regular file: a pipe put in a log's place is passed over, not waited on.
      this.fd = openForRead(this.file, FOLLOWED_LOG);
    } catch {
      this.fd = undefined;
      return;
    }
    this.inode = fs.fstatSync(this.fd).ino;
    const head = Buffer.alloc(3);
    const n = fs.readSync(this.fd, head, 0, 3, 0);
    this.encoding = n >= 2 && head[0] === 0xff && head[1] === 0xfe ? 'utf16le' : 'utf8';
    const bom =
      this.encoding === 'utf16le' ? 2 : n === 3 && head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf ? 3 : 0;
    this.offset = Math.max(start, bom);
  }

  private drain(out: ParsedEntry[]): void {
    if (this.fd === undefined) return;
    // At most READ_PER_POLL a poll, joined once: a writer that never stops cannot hold a poll (or Ctrl+C) for ever.
    const chunks = [this.pending];
    for (let read = 0; read < READ_PER_POLL;) {
      const chunk = Buffer.allocUnsafe(64 * 1024);
      const n = fs.readSync(this.fd, chunk, 0, chunk.length, this.offset);
      if (n <= 0) break;
      this.offset += n;
      read += n;
      chunks.push(chunk.subarray(0, n));
    }
    this.pending = Buffer.concat(chunks);
    const usable = this.encoding === 'utf16le' ? this.pending.length - (this.pending.length % 2) : this.pending.length;
    const text = this.pending.subarray(0, usable).toString(this.encoding);
    const parsed = parseCmTrace(text);
    for (const entry of parsed.entries) out.push(entry);
    this.pending = this.pending.subarray(Buffer.byteLength(text.slice(0, parsed.end), this.encoding));
    if (this.pending.length > MAX_PENDING_BYTES) this.pending = Buffer.alloc(0);
  }

  /** The path now names another file, or the file shrank: finish the old one, start the new one. */
  private reopenIfReplaced(out: ParsedEntry[]): void {
    let current: fs.Stats | undefined;
    try {
      current = fs.statSync(this.file);
    } catch {
      current = undefined;
    }
    if (current && current.ino === this.inode && current.size >= this.offset) return;
    this.close();
    this.pending = Buffer.alloc(0);
    if (current) {
      this.open(0);
      this.drain(out);
    }
  }
}

export function followLogs(targets: readonly FollowTarget[], options: FollowOptions): Promise<void> {
  const followers = targets.map((t) => new Follower(t.file, t.from));
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
