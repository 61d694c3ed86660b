import * as fs from 'node:fs';
import * as path from 'node:path';
import { CcmlabError } from '../core/errors';
import { readBoundedFile } from '../store/files';
import { decodeText } from '../core/text';
import { formatBias } from './cmtrace-format';
import { parseCmTrace, type ParsedEntry } from './cmtrace-parse';
import { logSetPaths } from './log-files';

/** Reading, filtering and printing CMTrace logs, as `ccmlab log show` does. */

export type TypeName = 'info' | 'warning' | 'error';

export interface LogFilter {
  type?: TypeName;
  component?: string;
  grep?: RegExp;
  since?: Date;
}

const MAX_LOG_FILE_BYTES = 256 * 1024 * 1024;

export function typeName(type: number): TypeName {
  return type === 3 ? 'error' : type === 2 ? 'warning' : 'info';
}

export function compileGrep(pattern: string): RegExp {
  try {
    return new RegExp(pattern);
  } catch (error) {
    throw new CcmlabError('CCMLAB_E_BAD_OPTION', `--grep '${pattern}' is not a valid regular expression: ${(error as Error).message}`);
  }
}

export function matches(entry: ParsedEntry, filter: LogFilter): boolean {
  if (filter.type && typeName(entry.type) !== filter.type) return false;
  if (filter.component && entry.component.toLowerCase() !== filter.component.toLowerCase()) return false;
  if (filter.grep && !filter.grep.test(entry.message)) return false;
  if (filter.since && entry.time.getTime() < filter.since.getTime()) return false;
  return true;
}

function readFileBounded(file: string): Buffer {
  if (!fs.existsSync(file)) throw new CcmlabError('CCMLAB_E_FILE_NOT_FOUND', `log file ${file} does not exist; give the path of a .log file`);
  return readBoundedFile(file, MAX_LOG_FILE_BYTES, { label: 'log file', code: 'CCMLAB_E_FILE_UNREADABLE', fix: 'give the path of a .log file' });
}

/**
 * The files to read for FILE: a live `X.log` brings its `.lo_` and history files first,
 * oldest first; any other file (a history file, a `.lo_`) is read alone.
 */
export function filesFor(file: string): string[] {
  if (path.extname(file).toLowerCase() !== '.log' || /-\d{8}-\d{6}(?:-\d+)?\.log$/i.test(file)) return [file];
  const set = logSetPaths(file);
  return set.length > 0 ? set : [file];
}

export interface LogRead {
  entries: ParsedEntry[];
  unparsed: number;
  files: string[];
  /** Bytes read of the last file, where following it starts. */
  lastFileBytes: number;
}

export function readLog(file: string): LogRead {
  const files = filesFor(file);
  const entries: ParsedEntry[] = [];
  let unparsed = 0;
  let lastFileBytes = 0;
  for (const f of files) {
    const bytes = readFileBounded(f);
    const result = parseCmTrace(decodeText(bytes));
    entries.push(...result.entries);
    unparsed += result.unparsed.length;
    lastFileBytes = bytes.length;
  }
  return { entries, unparsed, files, lastFileBytes };
}

const COLOUR: Record<TypeName, [string, string]> = {
  info: ['', ''],
  warning: ['\x1b[30;43m', '\x1b[0m'],
  error: ['\x1b[97;41m', '\x1b[0m'],
};

export function formatEntry(entry: ParsedEntry, colour: boolean): string {
  const text = `${entry.localDate} ${entry.localTime}${formatBias(entry.biasMinutes)}  ${typeName(entry.type).padEnd(7)}  ${entry.component}  ${entry.message}`;
  if (!colour) return text;
  const [on, off] = COLOUR[typeName(entry.type)];
  return `${on}${text}${off}`;
}

export function entryJson(entry: ParsedEntry): Record<string, unknown> {
  return {
    time: entry.time.toISOString(),
    localDate: entry.localDate,
    localTime: entry.localTime,
    biasMinutes: entry.biasMinutes,
    type: entry.type,
    typeName: typeName(entry.type),
    component: entry.component,
    context: entry.context,
    thread: entry.thread,
    file: entry.file,
    message: entry.message,
  };
}
