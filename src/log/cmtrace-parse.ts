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
}

const TIME = /^(\d{1,2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?([+-]\d{1,4})?$/;
const DATE = /^(\d{1,2})-(\d{1,2})-(\d{4})$/;

function instant(localDate: string, localTime: string): { time: Date; clock: string; bias: number } | undefined {
  const t = TIME.exec(localTime);
  const d = DATE.exec(localDate);
  if (!t || !d) return undefined;
  const fraction = (t[4] ?? '0').padEnd(3, '0').slice(0, 3);
  const bias = t[5] ? Number.parseInt(t[5], 10) : 0;
  const localMs = Date.UTC(Number(d[3]), Number(d[1]) - 1, Number(d[2]), Number(t[1]), Number(t[2]), Number(t[3]), Number(fraction));
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
const ATTRIBUTES = /^((?:\s*[A-Za-z]+="[^"]*")*)\s*>/;
const ATTRIBUTE = /([A-Za-z]+)="([^"]*)"/g;
const SMS_TRAILER = /^([\s\S]*?)\s*\$\$<([^>]*)><(\d{1,2}-\d{1,2}-\d{4}) (\d{1,2}:\d{2}:\d{2}(?:\.\d{1,9})?[+-]\d{1,4})><thread=(\d+)(?: \(0x[0-9A-Fa-f]+\))?>\s*$/;

function parseCmTraceRecord(text: string, start: number): { entry: ParsedEntry; end: number } | undefined {
  const messageStart = start + RECORD_START.length;
  const close = text.indexOf(RECORD_END, messageStart);
  if (close < 0) return undefined;
  const rest = text.slice(close + RECORD_END.length, close + RECORD_END.length + 4096);
  const attrs = ATTRIBUTES.exec(rest);
  if (!attrs) return undefined;
  const fields: Record<string, string> = {};
  for (const m of attrs[1].matchAll(ATTRIBUTE)) fields[m[1].toLowerCase()] = m[2];
  // A whole record keeps its place even when its time cannot be read.
  const when = instant(fields.date ?? '', fields.time ?? '') ?? { time: new Date(Number.NaN), clock: fields.time ?? '', bias: 0 };
  return {
    entry: {
      message: text.slice(messageStart, close),
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
    end: close + RECORD_END.length + attrs[0].length,
  };
}

function parseSmsRecord(block: string, offset: number): ParsedEntry | undefined {
  const m = SMS_TRAILER.exec(block);
  if (!m) return undefined;
  const [date, time] = [m[3], m[4]];
  const when = instant(date, time);
  if (!when) return undefined;
  return {
    message: m[1],
    component: m[2],
    context: '',
    type: 1,
    thread: Number.parseInt(m[5], 10),
    file: '',
    time: when.time,
    localTime: when.clock,
    localDate: normaliseDate(date),
    biasMinutes: when.bias,
    layout: 'sms',
    offset,
  };
}

export function parseCmTrace(text: string): ParseResult {
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
  while (pos < text.length) {
    // Records are separated by line ends; skip them.
    while (pos < text.length && (text[pos] === '\r' || text[pos] === '\n')) pos++;
    if (pos >= text.length) break;
    if (text.startsWith(RECORD_START, pos)) {
      const record = parseCmTraceRecord(text, pos);
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
    if (pendingSms.length === 0) pendingAt = pos;
    pos = lineEnd + 1;
    pendingSms.push(line);
    if (line.includes('$$<')) {
      const entry = parseSmsRecord(pendingSms.join('\n'), pendingAt);
      if (entry) entries.push(entry);
      else leftOver(pendingSms.join('\n'), pendingAt);
      pendingSms = [];
      end = Math.min(pos, text.length);
    }
  }
  if (pendingSms.length > 0) leftOver(pendingSms.join('\n'), pendingAt);
  return { entries, unparsed, unparsedAt, end };
}
