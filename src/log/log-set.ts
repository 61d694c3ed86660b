import * as fs from 'node:fs';
import * as path from 'node:path';
import { CcmlabError } from '../core/errors';
import { readBoundedFile } from '../store/files';
import { decodeText } from '../core/text';
import { parseCmTrace, type ParsedEntry } from './cmtrace-parse';
import { followLogs } from './follow';
import { logSetPaths } from './log-files';

/**
 * Logs as sets of files and many logs as one timeline, like OneTrace's merge: files and
 * folders in, each log's `.lo_` and history files grouped with its live file (oldest
 * first), every record tagged with its log and merged by time.
 */

/** One log: its files oldest first, live file last (when it exists). */
export interface LogSet {
  /** The log's path: the live `X.log` (even when only older files remain), or a file named alone. */
  log: string;
  /** Its base name: `ClientLocation`, `CCM_STS`. */
  name: string;
  files: string[];
  /** Their size when collected. */
  bytes: number;
}

export interface SkippedFile {
  path: string;
  reason: string;
}

export interface CollectedLogs {
  sets: LogSet[];
  /** Files and folders under the folders named that were not read, and why. */
  skipped: SkippedFile[];
}

export interface LogSetLimits {
  maxFiles: number;
  maxFileBytes: number;
  maxTotalBytes: number;
  /** Folders below a folder named. */
  maxDepth: number;
  /** Directory entries looked at while walking. */
  maxEntries: number;
  /** How long reading and parsing may take in all: what is read by then is shown, and the rest is said to be unread. */
  maxReadMs: number;
}

export const LOG_SET_LIMITS: LogSetLimits = {
  maxFiles: 10_000,
  /** Far above any real log's size (a client log rolls over at 250,000 bytes by default), and read in seconds. */
  maxFileBytes: 64 * 1024 * 1024,
  /** A merge holds every record it shows, about 7 times the bytes read: within Node's default heap. */
  maxTotalBytes: 512 * 1024 * 1024,
  maxDepth: 16,
  maxEntries: 100_000,
  maxReadMs: 8_000,
};

export type LogFileKind = 'live' | 'history' | 'lo_';

export interface LogFileName {
  base: string;
  kind: LogFileKind;
  /** History files: `YYYYMMDD-HHMMSS` and the `-N` of several in one second. */
  stamp: string;
  sequence: number;
}

const HISTORY = /^(.+)-(\d{8}-\d{6})(?:-(\d+))?\.log$/i;

/** What a file name says it is, or undefined for a file that is not a log. */
export function classifyLogName(name: string): LogFileName | undefined {
  const history = HISTORY.exec(name);
  if (history)
    return { base: history[1], kind: 'history', stamp: history[2], sequence: history[3] ? Number(history[3]) : 0 };
  const m = /^(.+)\.(log|lo_)$/i.exec(name);
  if (!m) return undefined;
  return { base: m[1], kind: m[2].toLowerCase() === 'log' ? 'live' : 'lo_', stamp: '', sequence: 0 };
}

export interface FoundFile {
  path: string;
  size: number;
}

const KIND_ORDER: Record<LogFileKind, number> = { lo_: 0, history: 1, live: 2 };

function olderFirst(a: { name: LogFileName }, b: { name: LogFileName }): number {
  const kind = KIND_ORDER[a.name.kind] - KIND_ORDER[b.name.kind];
  if (kind !== 0) return kind;
  if (a.name.stamp !== b.name.stamp) return a.name.stamp < b.name.stamp ? -1 : 1;
  return a.name.sequence - b.name.sequence;
}

/** Groups log files (found in folders) into sets by folder and base name, in path order. */
export function groupLogFiles(files: readonly FoundFile[]): LogSet[] {
  const groups = new Map<string, Array<FoundFile & { name: LogFileName }>>();
  for (const file of files) {
    const name = classifyLogName(path.basename(file.path));
    if (!name) continue;
    const key = `${path.dirname(file.path)}\0${name.base.toLowerCase()}`;
    const group = groups.get(key) ?? [];
    group.push({ ...file, name });
    groups.set(key, group);
  }
  const sets = [...groups.values()].map((members): LogSet => {
    const sorted = [...members].sort(olderFirst);
    const live = sorted.find((m) => m.name.kind === 'live');
    const base = live?.name.base ?? sorted[0].name.base;
    return {
      log: live?.path ?? path.join(path.dirname(sorted[0].path), `${base}.log`),
      name: base,
      files: sorted.map((m) => m.path),
      bytes: sorted.reduce((sum, m) => sum + m.size, 0),
    };
  });
  return sets.sort((a, b) => (a.log < b.log ? -1 : a.log > b.log ? 1 : 0));
}

/* ---- Collecting: the effects (stat, walk) around groupLogFiles ---- */

interface Walk {
  found: FoundFile[];
  skipped: SkippedFile[];
  entries: number;
}

function tooBig(file: string, size: number, limits: LogSetLimits): CcmlabError {
  return new CcmlabError(
    'CCMLAB_E_FILE_UNREADABLE',
    `${file} is ${size} bytes, more than the ${limits.maxFileBytes} ccmlab reads; split it first`,
  );
}

/** A folder's entries, sorted by name; counts them against the walk's bound. */
function listFolder(dir: string, limits: LogSetLimits, walk: Walk): fs.Dirent[] {
  let handle: fs.Dir;
  try {
    handle = fs.opendirSync(dir);
  } catch (error) {
    walk.skipped.push({
      path: dir,
      reason: `folder not readable (${(error as NodeJS.ErrnoException).code ?? 'error'})`,
    });
    return [];
  }
  const entries: fs.Dirent[] = [];
  try {
    for (let entry = handle.readSync(); entry !== null; entry = handle.readSync()) {
      if (++walk.entries > limits.maxEntries) {
        throw new CcmlabError(
          'CCMLAB_E_FILE_UNREADABLE',
          `the folders named hold more than ${limits.maxEntries} entries, more than ccmlab walks; name the log folders themselves`,
        );
      }
      entries.push(entry);
    }
  } finally {
    handle.closeSync();
  }
  return entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

function walkFolder(root: string, limits: LogSetLimits, walk: Walk): void {
  const stack = [{ dir: root, depth: 0 }];
  for (let next = stack.pop(); next; next = stack.pop()) {
    for (const entry of listFolder(next.dir, limits, walk)) {
      const p = path.join(next.dir, entry.name);
      // Hidden files (.gitkeep, editor swap files) are nobody's logs: passed over without a note.
      if (entry.name.startsWith('.')) continue;
      if (entry.isDirectory()) {
        if (next.depth < limits.maxDepth) stack.push({ dir: p, depth: next.depth + 1 });
        else walk.skipped.push({ path: p, reason: `more than ${limits.maxDepth} folders deep` });
      } else if (!entry.isFile()) {
        walk.skipped.push({ path: p, reason: 'not a regular file' });
      } else if (!classifyLogName(entry.name)) {
        walk.skipped.push({ path: p, reason: 'not a log (*.log, *.lo_)' });
      } else {
        const size = fs.statSync(p).size;
        if (size > limits.maxFileBytes) throw tooBig(p, size, limits);
        walk.found.push({ path: p, size });
      }
    }
  }
}

/**
 * The files to read for a file named alone: a live `X.log` brings its `.lo_` and history
 * files first, oldest first; any other file (a history file, a `.lo_`, any name) is read alone.
 */
function namedFileSet(file: string, limits: LogSetLimits): LogSet {
  const name = classifyLogName(path.basename(file));
  const files = name?.kind === 'live' ? logSetPaths(file) : [];
  const set = files.length > 0 ? files : [file];
  let bytes = 0;
  for (const f of set) {
    const stat = fs.statSync(f);
    if (!stat.isFile())
      throw new CcmlabError(
        'CCMLAB_E_FILE_UNREADABLE',
        `${f} is not a regular file; give the path of a .log file or a folder of logs`,
      );
    if (stat.size > limits.maxFileBytes) throw tooBig(f, stat.size, limits);
    bytes += stat.size;
  }
  return { log: file, name: name?.base ?? path.basename(file).replace(/\.[^.]*$/, ''), files: set, bytes };
}

function setsFor(target: string, limits: LogSetLimits, skipped: SkippedFile[]): LogSet[] {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(target);
  } catch {
    throw new CcmlabError(
      'CCMLAB_E_FILE_NOT_FOUND',
      `log file ${target} does not exist; give the path of a .log file or a folder of logs`,
    );
  }
  if (stat.isFile()) return [namedFileSet(target, limits)];
  if (!stat.isDirectory())
    throw new CcmlabError(
      'CCMLAB_E_FILE_UNREADABLE',
      `${target} is not a file or a folder; give the path of a .log file or a folder of logs`,
    );
  const walk: Walk = { found: [], skipped, entries: 0 };
  walkFolder(target, limits, walk);
  return groupLogFiles(walk.found);
}

/** The sets' files and bytes within the bounds, else an error that says which bound. */
function checkBounds(sets: readonly LogSet[], limits: LogSetLimits): void {
  const files = sets.reduce((n, s) => n + s.files.length, 0);
  if (files > limits.maxFiles) {
    throw new CcmlabError(
      'CCMLAB_E_FILE_UNREADABLE',
      `the paths named hold ${files} log files, more than the ${limits.maxFiles} ccmlab merges; name fewer or narrower folders`,
    );
  }
  const bytes = sets.reduce((n, s) => n + s.bytes, 0);
  if (bytes > limits.maxTotalBytes) {
    throw new CcmlabError(
      'CCMLAB_E_FILE_UNREADABLE',
      `the logs named total ${bytes} bytes, more than the ${limits.maxTotalBytes} ccmlab merges; name fewer or narrower folders`,
    );
  }
}

/**
 * The logs under PATHS: files are logs whatever their name; folders are walked (bounded
 * depth and entries) for `*.log`, `*.lo_` and history files, anything else skipped with a
 * reason. A log named twice is read once.
 */
export function collectLogFiles(paths: readonly string[], limits: LogSetLimits = LOG_SET_LIMITS): CollectedLogs {
  const skipped: SkippedFile[] = [];
  const seen = new Set<string>();
  const sets: LogSet[] = [];
  for (const target of paths) {
    for (const set of setsFor(target, limits, skipped)) {
      const key = path.resolve(set.log);
      if (seen.has(key)) continue;
      seen.add(key);
      sets.push(set);
    }
  }
  checkBounds(sets, limits);
  return { sets, skipped };
}

/* ---- Merging: read each set, tag its records, merge by time ---- */

export interface LogRecord extends ParsedEntry {
  /** The log the record came from (LogSet.log). */
  log: string;
  /** Milliseconds it is ordered by: its time, or when unreadable the previous record's of the same log. */
  at: number;
}

/** Where following a log starts: its live file, after what was read of it. */
export interface LogTail {
  log: string;
  file: string;
  from: number;
  /** `at` of the log's last record, for records that come with an unreadable time. */
  at: number;
}

/** Where reading stopped when its time was up: the file, and how much of it was read. */
export interface UnreadRest {
  file: string;
  readChars: number;
  totalChars: number;
  /** Logs not read at all. */
  unreadLogs: number;
}

export interface Timeline {
  records: LogRecord[];
  /** Set when the time to read ran out before every log was read. */
  unread?: UnreadRest;
  /** Blocks of text that were not CMTrace records, in every file. */
  unparsed: number;
  tails: LogTail[];
}

/** Entries tagged with their log, in their own order; `at` carries on from `previousAt`. */
export function tagRecords(entries: readonly ParsedEntry[], log: string, previousAt: number): LogRecord[] {
  let at = previousAt;
  return entries.map((entry) => {
    const time = entry.time.getTime();
    if (!Number.isNaN(time)) at = time;
    return { ...entry, log, at };
  });
}

/** One log file: a regular file, opened without blocking, read up to the cap (store/files.ts). */
function readBounded(file: string, limits: LogSetLimits): Buffer {
  const size = fs.statSync(file).size;
  if (size > limits.maxFileBytes) throw tooBig(file, size, limits);
  return readBoundedFile(file, limits.maxFileBytes, {
    label: 'log file',
    code: 'CCMLAB_E_FILE_UNREADABLE',
    fix: 'give the path of a .log file or a folder of logs',
  });
}

interface ReadBudget {
  bytes: number;
  expired: () => boolean;
  stopped?: { file: string; readChars: number; totalChars: number };
}

function readLogSet(
  set: LogSet,
  options: Required<MergeOptions>,
  budget: ReadBudget,
): { records: LogRecord[]; unparsed: number; tail: LogTail } {
  const { limits, keep } = options;
  const records: LogRecord[] = [];
  let unparsed = 0;
  let lastBytes = 0;
  let at = -Infinity;
  for (const file of set.files) {
    if (budget.stopped) break;
    const bytes = readBounded(file, limits);
    budget.bytes -= bytes.length;
    if (budget.bytes < 0) {
      throw new CcmlabError(
        'CCMLAB_E_FILE_UNREADABLE',
        `the logs named grew past the ${limits.maxTotalBytes} bytes ccmlab merges while being read; name fewer or narrower folders`,
      );
    }
    const text = decodeText(bytes);
    const parsed = parseCmTrace(text, { expired: budget.expired });
    if (parsed.stoppedAt !== undefined) budget.stopped = { file, readChars: parsed.stoppedAt, totalChars: text.length };
    const tagged = tagRecords(parsed.entries, set.log, at);
    if (tagged.length > 0) at = tagged[tagged.length - 1].at;
    for (const record of tagged) if (keep(record)) records.push(record);
    unparsed += parsed.unparsed.length;
    lastBytes = bytes.length;
  }
  const readLive = set.files[set.files.length - 1] === set.log && !budget.stopped;
  return { records, unparsed, tail: { log: set.log, file: set.log, from: readLive ? lastBytes : 0, at } };
}

/** A clock for one read: expired once `ms` have passed. */
export function readDeadline(ms: number, now: () => number = Date.now): () => boolean {
  const end = now() + ms;
  return () => now() > end;
}

/** Heads of the lists being merged: a binary min-heap by (at, list), so equal times keep list order. */
class Heads {
  private readonly heap: Array<{ list: number; pos: number; at: number }> = [];

  get size(): number {
    return this.heap.length;
  }

  private before(i: number, j: number): boolean {
    const [a, b] = [this.heap[i], this.heap[j]];
    return a.at < b.at || (a.at === b.at && a.list < b.list);
  }

  private swap(i: number, j: number): void {
    [this.heap[i], this.heap[j]] = [this.heap[j], this.heap[i]];
  }

  push(head: { list: number; pos: number; at: number }): void {
    this.heap.push(head);
    for (let i = this.heap.length - 1; i > 0 && this.before(i, (i - 1) >> 1); i = (i - 1) >> 1)
      this.swap(i, (i - 1) >> 1);
  }

  pop(): { list: number; pos: number; at: number } {
    const top = this.heap[0];
    const last = this.heap.pop() as { list: number; pos: number; at: number };
    if (this.heap.length === 0) return top;
    this.heap[0] = last;
    for (let i = 0; ;) {
      const [l, r] = [2 * i + 1, 2 * i + 2];
      let least = i;
      if (l < this.heap.length && this.before(l, least)) least = l;
      if (r < this.heap.length && this.before(r, least)) least = r;
      if (least === i) return top;
      this.swap(i, least);
      i = least;
    }
  }
}

/**
 * One list by `at`, taking from the lists in turn: each list keeps its own order (even where
 * its times go backwards), and equal times come in list order.
 */
export function mergeRecords(lists: readonly (readonly LogRecord[])[]): LogRecord[] {
  const heads = new Heads();
  lists.forEach((list, i) => list.length > 0 && heads.push({ list: i, pos: 0, at: list[0].at }));
  const merged: LogRecord[] = [];
  while (heads.size > 0) {
    const head = heads.pop();
    const list = lists[head.list];
    merged.push(list[head.pos]);
    if (head.pos + 1 < list.length) heads.push({ list: head.list, pos: head.pos + 1, at: list[head.pos + 1].at });
  }
  return merged;
}

export interface MergeOptions {
  /** Which records to keep (filters applied while reading, so what is dropped is never held). */
  keep?: (record: LogRecord) => boolean;
  limits?: LogSetLimits;
}

/** Reads every set and merges their records by time; each log keeps its own order. */
export function mergeTimeline(sets: readonly LogSet[], options: MergeOptions = {}): Timeline {
  const resolved: Required<MergeOptions> = {
    keep: options.keep ?? (() => true),
    limits: options.limits ?? LOG_SET_LIMITS,
  };
  const budget: ReadBudget = { bytes: resolved.limits.maxTotalBytes, expired: readDeadline(resolved.limits.maxReadMs) };
  const reads: ReturnType<typeof readLogSet>[] = [];
  let unreadLogs = 0;
  for (const set of sets) {
    if (budget.stopped) unreadLogs++;
    else reads.push(readLogSet(set, resolved, budget));
  }
  return {
    records: mergeRecords(reads.map((r) => r.records)),
    unparsed: reads.reduce((n, r) => n + r.unparsed, 0),
    tails: reads.map((r) => r.tail),
    ...(budget.stopped ? { unread: { ...budget.stopped, unreadLogs } } : {}),
  };
}

export interface TimelineFollowOptions {
  intervalMs?: number;
  signal: AbortSignal;
  /** Records written since the last poll, tagged and merged by time. */
  onRecords: (records: LogRecord[]) => void;
}

/** Follows every log's live file from where the timeline left it, until the signal. */
export function followTimeline(tails: readonly LogTail[], options: TimelineFollowOptions): Promise<void> {
  const at = tails.map((t) => t.at);
  return followLogs(
    tails.map((t) => ({ file: t.file, from: t.from })),
    {
      intervalMs: options.intervalMs,
      signal: options.signal,
      onEntries: (found) => {
        const lists = found.map((entries, i) => {
          const records = tagRecords(entries, tails[i].log, at[i]);
          if (records.length > 0) at[i] = records[records.length - 1].at;
          return records;
        });
        options.onRecords(mergeRecords(lists));
      },
    },
  );
}

/** What a reader says when its time ran out: where it stopped and what it did not read. */
export function describeUnread(unread: UnreadRest, maxReadMs: number): string {
  const others = unread.unreadLogs > 0 ? `, and ${unread.unreadLogs} more log(s) not at all` : '';
  return `stopped reading after ${maxReadMs / 1000} s: ${unread.file} was read to character ${unread.readChars} of ${unread.totalChars}${others}; what was read is used. Name fewer or smaller logs`;
}
