import * as fs from 'node:fs';
import { parseCmTrace, type ParsedEntry } from './cmtrace-parse';

/**
 * Follows a live log like `tail -f`, through rollovers: when the path names a new file
 * (the old one was renamed to a history file or `.lo_`), the rest of the old one is read
 * first, then the new one from its start. Only whole records are handed on.
 */
export interface FollowOptions {
  /** Byte offset to start at (the size already shown). */
  from: number;
  intervalMs?: number;
  signal: AbortSignal;
  onEntry: (entry: ParsedEntry) => void;
}

type Encoding = 'utf8' | 'utf16le';

export function followLog(file: string, options: FollowOptions): Promise<void> {
  const interval = options.intervalMs ?? 200;
  let fd: number | undefined;
  let inode = -1;
  let offset = options.from;
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

  const drain = (): void => {
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
    for (const entry of parsed.entries) options.onEntry(entry);
    pending = pending.subarray(Buffer.byteLength(text.slice(0, parsed.end), encoding));
  };

  const poll = (): void => {
    if (fd === undefined) {
      open(0);
      drain();
      return;
    }
    drain();
    let current: fs.Stats | undefined;
    try {
      current = fs.statSync(file);
    } catch {
      current = undefined;
    }
    if (!current || current.ino !== inode || current.size < offset) {
      fs.closeSync(fd);
      fd = undefined;
      pending = Buffer.alloc(0);
      if (current) {
        open(0);
        drain();
      }
    }
  };

  return new Promise((resolve) => {
    open(options.from);
    drain();
    const timer = setInterval(poll, interval);
    const stop = (): void => {
      clearInterval(timer);
      if (fd !== undefined) fs.closeSync(fd);
      resolve();
    };
    if (options.signal.aborted) stop();
    else options.signal.addEventListener('abort', stop, { once: true });
  });
}
