import { decodeText } from '../core/text';
import type { CmTraceType } from '../log/cmtrace-format';
import { parseCmTrace } from '../log/cmtrace-parse';
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
  const placed: Array<LogLine & { offset: number }> = parsed.entries.map((e) => ({
    message: e.message,
    line: lineAt(starts, e.offset),
    time: Number.isNaN(e.time.getTime()) ? null : e.time.toISOString(),
    type: e.type,
    offset: e.offset,
  }));
  // A block of other text is kept as written, blank lines included, up to what follows it.
  const next = [...parsed.entries.map((e) => e.offset), text.length].sort((a, b) => a - b);
  parsed.unparsedAt.forEach((at) => {
    const end = next.find((o) => o > at) ?? text.length;
    placed.push({ message: text.slice(at, end).replace(/\s+$/, ''), line: lineAt(starts, at), time: null, type: null, offset: at });
  });
  return placed.sort((a, b) => a.offset - b.offset).map(({ offset: _offset, ...line }) => line);
}

/** Physical lines from `index` to `index + length` of a bare block, whole. */
function linesCovering(message: string, index: number, length: number): { first: number; text: string } {
  const start = message.lastIndexOf('\n', index - 1) + 1;
  const stop = message.indexOf('\n', index + Math.max(length, 1) - 1);
  const first = (message.slice(0, start).match(/\n/g) ?? []).length;
  return { first, text: message.slice(start, stop < 0 ? undefined : stop).replace(/\r/g, '') };
}

/** Where a matcher matches one log line: once for a record, at each match in bare text (each on its own physical line). */
export function sightings(matcher: LineMatcher, record: LogLine): Sighting[] {
  if (record.type !== null) {
    return matcher.find(record.message) ? [{ line: record.line, time: record.time, text: record.message, type: record.type }] : [];
  }
  const found: Sighting[] = [];
  for (let m = matcher.find(record.message); m; m = matcher.find(record.message, m.index + Math.max(m.length, 1))) {
    const covered = linesCovering(record.message, m.index, m.length);
    found.push({ line: record.line + covered.first, time: null, text: covered.text, type: null });
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
  for (const file of collected.sets.flatMap((s) => s.files)) {
    const bytes = readBoundedFile(file, limits.maxFileBytes, { label: 'log file', code: 'CCMLAB_E_FILE_UNREADABLE', fix: 'give the path of a .log file or a folder of logs' });
    logs.set(file, logLinesOf(decodeText(bytes)));
  }
  return { logs, skipped: collected.skipped };
}
