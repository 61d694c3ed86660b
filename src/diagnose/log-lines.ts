import { decodeText } from '../core/text';
import type { CmTraceType } from '../log/cmtrace-format';
import { MAX_MESSAGE_CHARS, parseCmTrace, type ParsedEntry } from '../log/cmtrace-parse';
import {
  collectLogFiles,
  LOG_SET_LIMITS,
  readDeadline,
  type LogSetLimits,
  type SkippedFile,
  type UnreadRest,
} from '../log/log-set';
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
export function logLinesOf(text: string, expired?: () => boolean): { lines: LogLine[]; stoppedAt?: number } {
  const starts = lineStarts(text);
  const parsed = parseCmTrace(text, { expired });
  const records = parsed.entries.map((e) => ({ offset: e.offset, entry: e as ParsedEntry | undefined }));
  const blocks = parsed.unparsedAt.map((offset) => ({ offset, entry: undefined }));
  const placed = [...records, ...blocks].sort((a, b) => a.offset - b.offset);
  const readTo = parsed.stoppedAt ?? text.length;
  const lines = placed.map(({ offset, entry }, i): LogLine => {
    const line = lineAt(starts, offset);
    if (entry)
      return {
        message: entry.message,
        line,
        time: Number.isNaN(entry.time.getTime()) ? null : entry.time.toISOString(),
        type: entry.type,
      };
    // A block of other text is kept as written, blank lines included, up to what follows it.
    const end = i + 1 < placed.length ? placed[i + 1].offset : readTo;
    return { message: text.slice(offset, end).trimEnd(), line, time: null, type: null };
  });
  return parsed.stoppedAt !== undefined ? { lines, stoppedAt: parsed.stoppedAt } : { lines };
}

/** Characters of one physical line a sighting in bare text keeps (a record's message is cut already: MAX_MESSAGE_CHARS). */
export const MAX_SIGHTING_CHARS = MAX_MESSAGE_CHARS;

/**
 * Where a matcher matches one log line: once for a record; in bare text once per physical line
 * it matches on (the line a match starts on). The search goes on after that line, so a long
 * line with many matches costs one sighting, and lines are counted as the search moves on,
 * never from the start again: a large paste stays linear.
 */
export function sightings(matcher: LineMatcher, record: LogLine): Sighting[] {
  if (record.type !== null) {
    return matcher.find(record.message)
      ? [{ line: record.line, time: record.time, text: record.message, type: record.type }]
      : [];
  }
  const text = record.message;
  const found: Sighting[] = [];
  let [lineStart, line] = [0, record.line];
  for (let m = matcher.find(text); m;) {
    for (let nl = text.indexOf('\n', lineStart); nl >= 0 && nl < m.index; nl = text.indexOf('\n', nl + 1)) {
      line++;
      lineStart = nl + 1;
    }
    // Shown: the lines the match is on, whole.
    const stop = text.indexOf('\n', m.index + Math.max(m.length, 1) - 1);
    const lastLineEnd = stop < 0 ? text.length : stop;
    const shown = text.slice(lineStart, Math.min(lastLineEnd, lineStart + MAX_SIGHTING_CHARS)).replace(/\r/g, '');
    found.push({ line, time: null, text: shown, type: null });
    const next = lastLineEnd + 1;
    m = next < text.length ? matcher.find(text, next) : undefined;
  }
  return found;
}

/** What diagnosis reads at most: a support bundle, not an archive of every log. */
export const DIAGNOSE_LIMITS: LogSetLimits = { ...LOG_SET_LIMITS, maxTotalBytes: 64 * 1024 * 1024 };

export interface ReadLogs {
  /** Each file's lines, by its path (history files and .lo_ files by their own names). */
  logs: Map<string, LogLine[]>;
  skipped: SkippedFile[];
  /** Set when the time to read ran out before every file was read. */
  unread?: UnreadRest;
}

/** The log files under `paths` (as `log show` finds them), read and split into lines, within the time to read. */
export function readLogs(paths: readonly string[], limits: LogSetLimits = DIAGNOSE_LIMITS): ReadLogs {
  const collected = collectLogFiles(paths, limits);
  const logs = new Map<string, LogLine[]>();
  const skipped = [...collected.skipped];
  const expired = readDeadline(limits.maxReadMs);
  const files = collected.sets.flatMap((s) => s.files);
  for (const [index, file] of files.entries()) {
    const bytes = readBoundedFile(file, limits.maxFileBytes, {
      label: 'log file',
      code: 'CCMLAB_E_FILE_UNREADABLE',
      fix: 'give the path of a .log file or a folder of logs',
    });
    const text = decodeText(bytes);
    // A database or other binary file picked up by name is not a log: said, not searched.
    if (text.includes('\u0000')) {
      skipped.push({ path: file, reason: 'binary, not a log' });
      continue;
    }
    const { lines, stoppedAt } = logLinesOf(text, expired);
    logs.set(file, lines);
    if (stoppedAt !== undefined)
      return {
        logs,
        skipped,
        unread: { file, readChars: stoppedAt, totalChars: text.length, unreadLogs: files.length - index - 1 },
      };
  }
  return { logs, skipped };
}
