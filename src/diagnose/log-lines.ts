import { decodeText } from '../core/text';
import type { CmTraceType } from '../log/cmtrace-format';
import { parseCmTrace, type ParsedEntry } from '../log/cmtrace-parse';
import { collectLogFiles, LOG_SET_LIMITS, type LogSetLimits, type SkippedFile } from '../log/log-set';
import { readBoundedFile } from '../store/files';
import type { LineMatcher } from './line-match';

/**
 * Log files as lines to match: every CMTrace record (either layout) with the physical line it
 * starts on, and every block of other text (an excerpt pasted from an article or a support
 * case, without its markup) kept whole, so a match can span its lines and still name the line.
 */

export interface LogLine {
  message: string;
  /** The physical line (1-based) of its file where it starts. */
  line: number;
  /** ISO-8601; null for bare text, or a record whose time could not be read. */
  time: string | null;
  /** The CMTrace type; null for bare text, which has none. */
  type: CmTraceType | null;
}

/** Where an expectation was seen: the physical line and what it says. */
export interface Sighting {
  line: number;
  time: string | null;
  text: string;
  type: CmTraceType | null;
}

/** Character offsets where each line of `text` starts. */
function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
  return starts;
}

/** The 1-based line holding `offset`. */
function lineAt(starts: readonly number[], offset: number): number {
  let [lo, hi] = [0, starts.length - 1];
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid] <= offset) lo = mid;
    else hi = mid - 1;
  }
  return lo + 1;
}

/** The lines of one decoded log file, in file order. */
export function logLinesOf(text: string): LogLine[] {
  const starts = lineStarts(text);
  const parsed = parseCmTrace(text);
  const records = parsed.entries.map((e) => ({ offset: e.offset, entry: e as ParsedEntry | undefined }));
  const blocks = parsed.unparsedAt.map((offset) => ({ offset, entry: undefined }));
  const placed = [...records, ...blocks].sort((a, b) => a.offset - b.offset);
  return placed.map(({ offset, entry }, i): LogLine => {
    const line = lineAt(starts, offset);
    if (entry) return { message: entry.message, line, time: Number.isNaN(entry.time.getTime()) ? null : entry.time.toISOString(), type: entry.type };
    // A block of other text is kept as written, blank lines included, up to what follows it.
    const end = i + 1 < placed.length ? placed[i + 1].offset : text.length;
    return { message: text.slice(offset, end).replace(/\s+$/, ''), line, time: null, type: null };
  });
}

/** Where a matcher matches one log line: once for a record, at each match in bare text (each on its own physical line). */
export function sightings(matcher: LineMatcher, record: LogLine): Sighting[] {
  if (record.type !== null) {
    return matcher.find(record.message) ? [{ line: record.line, time: record.time, text: record.message, type: record.type }] : [];
  }
  const text = record.message;
  const found: Sighting[] = [];
  // Lines are counted as the matches move on, never from the start again: a large paste stays linear.
  let [counted, line] = [0, record.line];
  for (let m = matcher.find(text); m; m = matcher.find(text, m.index + Math.max(m.length, 1))) {
    const start = text.lastIndexOf('\n', m.index - 1) + 1;
    for (let nl = text.indexOf('\n', counted); nl >= 0 && nl < start; nl = text.indexOf('\n', nl + 1)) {
      line++;
      counted = nl + 1;
    }
    const stop = text.indexOf('\n', m.index + Math.max(m.length, 1) - 1);
    found.push({ line, time: null, text: text.slice(start, stop < 0 ? undefined : stop).replace(/\r/g, ''), type: null });
  }
  return found;
}

/** What diagnosis reads at most: a support bundle, not an archive of every log. */
export const DIAGNOSE_LIMITS: LogSetLimits = { ...LOG_SET_LIMITS, maxTotalBytes: 64 * 1024 * 1024 };

export interface ReadLogs {
  /** Each file's lines, by its path (history files and .lo_ files by their own names). */
  logs: Map<string, LogLine[]>;
  skipped: SkippedFile[];
}

/** The log files under `paths` (as `log show` finds them), read and split into lines. */
export function readLogs(paths: readonly string[], limits: LogSetLimits = DIAGNOSE_LIMITS): ReadLogs {
  const collected = collectLogFiles(paths, limits);
  const logs = new Map<string, LogLine[]>();
  const skipped = [...collected.skipped];
  for (const file of collected.sets.flatMap((s) => s.files)) {
    const bytes = readBoundedFile(file, limits.maxFileBytes, { label: 'log file', code: 'CCMLAB_E_FILE_UNREADABLE', fix: 'give the path of a .log file or a folder of logs' });
    const text = decodeText(bytes);
    // A database or other binary file picked up by name is not a log: said, not searched.
    if (text.includes('\u0000')) {
      skipped.push({ path: file, reason: 'binary, not a log' });
      continue;
    }
    logs.set(file, logLinesOf(text));
  }
  return { logs, skipped };
}
