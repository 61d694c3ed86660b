import type { CmTraceType } from './cmtrace-format';

/**
 * Reads CMTrace logs as real clients and servers write them: the current layout
 * (multi-line messages included) and the older SMS layout
 * `message  $$<Component><MM-dd-yyyy HH:mm:ss.fff+BBB><thread=N (0xN)>`, in UTF-8 with
 * or without BOM or UTF-16LE/BE with BOM, with any bias form (+00, +000, -60, -060).
 */

export interface ParsedEntry {
  message: string;
  component: string;
  context: string;
  type: CmTraceType;
  thread: number;
  file: string;
  /**
   * The instant, from local time plus bias; an invalid Date (NaN) when a whole record's
   * time or date could not be read (`localTime` and `localDate` then hold them as written).
   */
  time: Date;
  /** As written: `HH:mm:ss.fff`, `MM-dd-yyyy`, bias in minutes. */
  localTime: string;
  localDate: string;
  biasMinutes: number;
  layout: 'cmtrace' | 'sms';
  /** Where the record starts in the text parsed (a character index), so readers can name its line. */
  offset: number;
}

export interface ParseResult {
  entries: ParsedEntry[];
  /** Text that matched neither layout (kept so tools can say how much they skipped). */
  unparsed: string[];
  /** Where each block of `unparsed` starts in the text parsed (a character index). */
  unparsedAt: number[];
  /** Where the last whole record ends: a follower keeps what comes after for the next read. */
  end: number;
  /** Where the parse stopped because its time was up (a character index), when it did: the rest was not read. */
  stoppedAt?: number;
}

const TIME = /^(\d{1,2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?([+-]\d{1,4})?$/;
const DATE = /^(\d{1,2})-(\d{1,2})-(\d{4})$/;

function instant(localDate: string, localTime: string): { time: Date; clock: string; bias: number } | undefined {
  const t = TIME.exec(localTime);
  const d = DATE.exec(localDate);
  if (!t || !d) return undefined;
  const fraction = (t[4] ?? '0').padEnd(3, '0').slice(0, 3);
  const bias = t[5] ? Number.parseInt(t[5], 10) : 0;
  const localMs = Date.UTC(
    Number(d[3]),
    Number(d[1]) - 1,
    Number(d[2]),
    Number(t[1]),
    Number(t[2]),
    Number(t[3]),
    Number(fraction),
  );
  const clock = `${t[1].padStart(2, '0')}:${t[2]}:${t[3]}.${fraction}`;
  return { time: new Date(localMs + bias * 60_000), clock, bias };
}

function normaliseDate(localDate: string): string {
  const d = DATE.exec(localDate);
  return d ? `${d[1].padStart(2, '0')}-${d[2].padStart(2, '0')}-${d[3]}` : localDate;
}

function toType(text: string | undefined): CmTraceType {
  const n = Number(text);
  return n === 0 || n === 2 || n === 3 ? n : 1;
}

const RECORD_START = '<![LOG[';
const RECORD_END = ']LOG]!><';
/** Characters after `]LOG]!><` in which a record's attributes must close (real ones take about 150). */
const MAX_ATTRIBUTES_CHARS = 4096;
/** One attribute, read where the last one ended (sticky): each character is looked at once or twice. */
const ATTRIBUTE = /\s*([A-Za-z]+)="([^"]*)"/y;
const ATTRIBUTES_END = /\s*>/y;
const SMS_MARK = '$$<';
/** The older layout's trailer, from its `$$<` (found by indexOf, never by backtracking over the message). */
const SMS_TRAILER =
  /^\$\$<([^>]*)><(\d{1,2}-\d{1,2}-\d{4}) (\d{1,2}:\d{2}:\d{2}(?:\.\d{1,9})?[+-]\d{1,4})><thread=(\d+)(?: \(0x[0-9A-Fa-f]+\))?>\s*$/;

/**
 * The longest message a record keeps: a longer one is cut there, with a count of what was left
 * out, so whatever reads a record (a --grep, diagnosis, a terminal) handles at most this much.
 */
export const MAX_MESSAGE_CHARS = 64 * 1024;

function cutMessage(message: string): string {
  return message.length > MAX_MESSAGE_CHARS
    ? `${message.slice(0, MAX_MESSAGE_CHARS)}…(${message.length - MAX_MESSAGE_CHARS} more characters)`
    : message;
}

/**
 * Where each `<![LOG[` ends, remembered across the starts of one text: a file of many starts and
 * no end (or one far end) searches for it once, not once per start.
 */
class RecordEnds {
  private searchedFrom = -1;
  private found = -1;
  /** A close whose attributes did not read: every start before it fails the same way. */
  private badClose = -1;

  constructor(private readonly text: string) {}

  /** The first `]LOG]!><` at or after `from`, or -1. */
  closeAfter(from: number): number {
    const stillValid = this.searchedFrom >= 0 && from >= this.searchedFrom && (this.found < 0 || this.found >= from);
    if (!stillValid) {
      this.searchedFrom = from;
      this.found = this.text.indexOf(RECORD_END, from);
    }
    return this.found;
  }

  isBad(close: number): boolean {
    return close === this.badClose;
  }

  markBad(close: number): void {
    this.badClose = close;
  }
}

/** The attributes after a close, or undefined when they do not end with `>` within the window. */
function parseAttributes(text: string, from: number): { fields: Record<string, string>; length: number } | undefined {
  const window = text.slice(from, from + MAX_ATTRIBUTES_CHARS);
  const fields: Record<string, string> = {};
  let at = 0;
  for (let m = execAt(ATTRIBUTE, window, at); m; m = execAt(ATTRIBUTE, window, at)) {
    fields[m[1].toLowerCase()] = m[2];
    at = ATTRIBUTE.lastIndex;
  }
  if (!execAt(ATTRIBUTES_END, window, at)) return undefined;
  return { fields, length: ATTRIBUTES_END.lastIndex };
}

function execAt(sticky: RegExp, text: string, at: number): RegExpExecArray | null {
  sticky.lastIndex = at;
  return sticky.exec(text);
}

function parseCmTraceRecord(
  text: string,
  start: number,
  ends: RecordEnds,
): { entry: ParsedEntry; end: number } | undefined {
  const messageStart = start + RECORD_START.length;
  const close = ends.closeAfter(messageStart);
  if (close < 0 || ends.isBad(close)) return undefined;
  const attrs = parseAttributes(text, close + RECORD_END.length);
  if (!attrs) {
    ends.markBad(close);
    return undefined;
  }
  const { fields } = attrs;
  // A whole record keeps its place even when its time cannot be read.
  const when = instant(fields.date ?? '', fields.time ?? '') ?? {
    time: new Date(Number.NaN),
    clock: fields.time ?? '',
    bias: 0,
  };
  return {
    entry: {
      message: cutMessage(text.slice(messageStart, close)),
      component: fields.component ?? '',
      context: fields.context ?? '',
      type: toType(fields.type),
      thread: Number.parseInt(fields.thread ?? '0', 10) || 0,
      file: fields.file ?? '',
      time: when.time,
      localTime: when.clock,
      localDate: normaliseDate(fields.date ?? ''),
      biasMinutes: when.bias,
      layout: 'cmtrace',
      offset: start,
    },
    end: close + RECORD_END.length + attrs.length,
  };
}

/** A block of the older layout: its message up to the last `$$<` (less the spaces before it), then the trailer. */
function parseSmsRecord(block: string, offset: number): ParsedEntry | undefined {
  const mark = block.lastIndexOf(SMS_MARK);
  const m = mark < 0 ? null : SMS_TRAILER.exec(block.slice(mark));
  if (!m) return undefined;
  const [date, time] = [m[2], m[3]];
  const when = instant(date, time);
  if (!when) return undefined;
  return {
    message: cutMessage(block.slice(0, mark).trimEnd()),
    component: m[1],
    context: '',
    type: 1,
    thread: Number.parseInt(m[4], 10),
    file: '',
    time: when.time,
    localTime: when.clock,
    localDate: normaliseDate(date),
    biasMinutes: when.bias,
    layout: 'sms',
    offset,
  };
}

/** How often (in records and lines) a parse asks whether its time is up: often enough to stop within milliseconds. */
const CHECK_EVERY = 1024;

export interface ParseOptions {
  /** True once the reader's time is up: the parse stops at the next record and says where (ParseResult.stoppedAt). */
  expired?: () => boolean;
}

export function parseCmTrace(text: string, options: ParseOptions = {}): ParseResult {
  const entries: ParsedEntry[] = [];
  const unparsed: string[] = [];
  const unparsedAt: number[] = [];
  const leftOver = (block: string, at: number): void => {
    unparsed.push(block);
    unparsedAt.push(at);
  };
  let pos = 0;
  let end = 0;
  let pendingSms: string[] = [];
  let pendingAt = 0;
  let pendingChars = 0;
  const ends = new RecordEnds(text);
  let steps = 0;
  let stoppedAt: number | undefined;
  while (pos < text.length) {
    if (++steps % CHECK_EVERY === 0 && options.expired?.()) {
      stoppedAt = pos;
      break;
    }
    // Records are separated by line ends; skip them.
    while (pos < text.length && (text[pos] === '\r' || text[pos] === '\n')) pos++;
    if (pos >= text.length) break;
    if (text.startsWith(RECORD_START, pos)) {
      const record = parseCmTraceRecord(text, pos, ends);
      if (record) {
        if (pendingSms.length > 0) leftOver(pendingSms.join('\n'), pendingAt);
        pendingSms = [];
        entries.push(record.entry);
        pos = record.end;
        end = pos;
        continue;
      }
    }
    // Otherwise one line of the older layout, or part of a multi-line one.
    let lineEnd = text.indexOf('\n', pos);
    if (lineEnd < 0) lineEnd = text.length;
    const line = text.slice(pos, lineEnd).replace(/\r$/, '');
    // Lines that never reach a trailer are not one record: past a message's length they are other text, kept in blocks of that size.
    if (pendingChars + line.length > MAX_MESSAGE_CHARS && pendingSms.length > 0) {
      leftOver(pendingSms.join('\n'), pendingAt);
      pendingSms = [];
    }
    if (pendingSms.length === 0) {
      pendingAt = pos;
      pendingChars = 0;
    }
    pos = lineEnd + 1;
    pendingSms.push(line);
    pendingChars += line.length + 1;
    if (line.includes(SMS_MARK)) {
      const entry = parseSmsRecord(pendingSms.join('\n'), pendingAt);
      if (entry) entries.push(entry);
      else leftOver(pendingSms.join('\n'), pendingAt);
      pendingSms = [];
      end = Math.min(pos, text.length);
    }
  }
  if (pendingSms.length > 0) leftOver(pendingSms.join('\n'), pendingAt);
  return { entries, unparsed, unparsedAt, end, ...(stoppedAt !== undefined ? { stoppedAt } : {}) };
}
