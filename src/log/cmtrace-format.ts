import { redactTokens } from '../core/secrets';
import { escapeControl } from '../core/text';

/**
 * The CMTrace line layout of Configuration Manager logs:
 * <![LOG[message]LOG]!><time="HH:mm:ss.fff+B" date="MM-dd-yyyy" component="C" context="" type="1" thread="N" file="F">
 * Time is local; B is the Windows bias (UTC minus local, in minutes, = getTimezoneOffset())
 * printed like C's %+03d. Lines end with CRLF.
 */

/** 0 appears in real logs; ccmlab writes 1 info, 2 warning, 3 error. */
export type CmTraceType = 0 | 1 | 2 | 3;

export interface CmTraceEntry {
  message: string;
  component: string;
  type: CmTraceType;
  thread: number;
  /** The `file` attribute: source module and line or function name. */
  file: string;
  time: Date;
  context?: string;
}

function pad(value: number, width: number): string {
  return String(value).padStart(width, '0');
}

/** C's `%+03d`: sign always, at least two digits: +480, -60, +00, -120. */
export function formatBias(biasMinutes: number): string {
  const sign = biasMinutes < 0 ? '-' : '+';
  return `${sign}${pad(Math.abs(biasMinutes), 2)}`;
}

/**
 * The local fields of the last second a line was stamped in: a log writes many lines a
 * second, and the local time and zone offset cost more than the rest of a line.
 */
let lastSecond: { epochSecond: number; clock: string; bias: string; date: string } | undefined;

/** `HH:mm:ss.fff+B` and `MM-dd-yyyy` in the process's local time zone. */
export function localStamp(time: Date): { time: string; date: string } {
  const epochMs = time.getTime();
  const epochSecond = Math.floor(epochMs / 1000);
  if (lastSecond?.epochSecond !== epochSecond) {
    lastSecond = {
      epochSecond,
      clock: `${pad(time.getHours(), 2)}:${pad(time.getMinutes(), 2)}:${pad(time.getSeconds(), 2)}`,
      bias: formatBias(time.getTimezoneOffset()),
      date: `${pad(time.getMonth() + 1, 2)}-${pad(time.getDate(), 2)}-${pad(time.getFullYear(), 4)}`,
    };
  }
  return {
    time: `${lastSecond.clock}.${pad(epochMs - epochSecond * 1000, 3)}${lastSecond.bias}`,
    date: lastSecond.date,
  };
}

/** `YYYYMMDD-HHMMSS` in local time, as rolled-over client logs are named. */
export function historyStamp(time: Date): string {
  return (
    `${pad(time.getFullYear(), 4)}${pad(time.getMonth() + 1, 2)}${pad(time.getDate(), 2)}-` +
    `${pad(time.getHours(), 2)}${pad(time.getMinutes(), 2)}${pad(time.getSeconds(), 2)}`
  );
}

// Attribute values are ours, but are kept to what an attribute can hold all the same.
function attribute(value: string): string {
  return escapeControl(value).replace(/"/g, "'").replace(/[<>]/g, '_');
}

const RECORD_END = ']LOG]!>';
const RECORD_START = '<![LOG[';

/**
 * The message as it may stand in a record. Real logs hold <, > and newlines, so the text
 * stays as it is, except that nothing in it can end this record or start another
 * (`]LOG]!>` and `<![LOG[` lose their `>` and `<`), and no token is ever written.
 * Outside values are made printable where they are put in (core/text.ts `printable`).
 */
export function neutraliseMessage(message: string): string {
  let text = redactTokens(message);
  if (text.includes(RECORD_END)) text = text.split(RECORD_END).join(']LOG]!&gt;');
  if (text.includes(RECORD_START)) text = text.split(RECORD_START).join('&lt;![LOG[');
  return text;
}

export function formatCmTraceLine(entry: CmTraceEntry): string {
  const stamp = localStamp(entry.time);
  return (
    `<![LOG[${neutraliseMessage(entry.message)}]LOG]!>` +
    `<time="${stamp.time}" date="${stamp.date}" component="${attribute(entry.component)}" ` +
    `context="${attribute(entry.context ?? '')}" type="${entry.type}" thread="${entry.thread}" ` +
    `file="${attribute(entry.file)}">\r\n`
  );
}
