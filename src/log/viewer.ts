import { RE2JS } from 're2js';
import { CcmlabError } from '../core/errors';
import { escapeControl } from '../core/text';
import { formatBias } from './cmtrace-format';
import type { LogRecord } from './log-set';

/** Filtering and printing CMTrace log records, as `ccmlab log show` does. */

export type TypeName = 'info' | 'warning' | 'error';

export interface LogFilter {
  type?: TypeName;
  component?: string;
  grep?: TextMatcher;
  since?: Date;
}

/** Whether a text holds a match of a user's pattern. */
export interface TextMatcher {
  test(text: string): boolean;
}

export function typeName(type: number): TypeName {
  return type === 3 ? 'error' : type === 2 ? 'warning' : 'info';
}

/**
 * `--grep`: the user's pattern in RE2 syntax, matched by RE2's linear-time engine (re2js), so
 * no pattern on no log can take longer than the text it reads (`(a+)+b` on a hostile record
 * would backtrack for ever in JavaScript's engine). RE2 has no back-references or lookaround.
 */
export function compileGrep(pattern: string): TextMatcher {
  let compiled: RE2JS;
  try {
    compiled = RE2JS.compile(pattern);
  } catch (error) {
    throw new CcmlabError(
      'CCMLAB_E_BAD_OPTION',
      `--grep '${escapeControl(pattern)}' is not a valid RE2 regular expression (${(error as Error).message}); RE2 has no back-references or lookaround`,
    );
  }
  return { test: (text) => compiled.matcher(text).find() };
}

/** Whether a record passes every filter; `since` goes by `at`, so a record with an unreadable time goes with the one before it. */
export function matches(entry: LogRecord, filter: LogFilter): boolean {
  if (filter.type && typeName(entry.type) !== filter.type) return false;
  if (filter.component && entry.component.toLowerCase() !== filter.component.toLowerCase()) return false;
  if (filter.grep && !filter.grep.test(entry.message)) return false;
  if (filter.since && !(entry.at >= filter.since.getTime())) return false;
  return true;
}

const COLOUR: Record<TypeName, [string, string]> = {
  info: ['', ''],
  warning: ['\x1b[30;43m', '\x1b[0m'],
  error: ['\x1b[97;41m', '\x1b[0m'],
};

/** One line: local date and time, the log's label when several logs are shown, type, component, message. */
export function formatEntry(entry: LogRecord, colour: boolean, label?: string): string {
  const when = `${entry.localDate} ${entry.localTime}${formatBias(entry.biasMinutes)}`;
  const text = `${when}  ${label !== undefined ? `${label}  ` : ''}${typeName(entry.type).padEnd(7)}  ${entry.component}  ${entry.message}`;
  if (!colour) return text;
  const [on, off] = COLOUR[typeName(entry.type)];
  return `${on}${text}${off}`;
}

export function entryJson(entry: LogRecord): Record<string, unknown> {
  return {
    time: Number.isNaN(entry.time.getTime()) ? null : entry.time.toISOString(),
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
    log: entry.log,
  };
}

function pathParts(log: string): string[] {
  const parts = log.split(/[\\/]+/).filter((p) => p !== '' && p !== '.');
  parts[parts.length - 1] = parts[parts.length - 1].replace(/\.(log|lo_)$/i, '');
  return parts;
}

/**
 * A short label for each log, padded to one width: its base name (`ClientLocation`), or where
 * logs share a base name just enough of their folders to tell them apart (`PC01/ccmsetup`).
 */
export function logLabels(logs: readonly string[]): string[] {
  const parts = logs.map(pathParts);
  const labels = parts.map((p) => p[p.length - 1]);
  const byName = new Map<string, number[]>();
  labels.forEach((label, i) => {
    const group = byName.get(label.toLowerCase()) ?? [];
    group.push(i);
    byName.set(label.toLowerCase(), group);
  });
  for (const group of byName.values()) {
    if (group.length < 2) continue;
    const longest = Math.max(...group.map((i) => parts[i].length));
    for (let take = 2; take <= longest; take++) {
      const tried = group.map((i) => parts[i].slice(-take).join('/'));
      group.forEach((i, k) => (labels[i] = tried[k]));
      if (new Set(tried.map((t) => t.toLowerCase())).size === group.length) break;
    }
  }
  const width = Math.max(0, ...labels.map((l) => l.length));
  return labels.map((l) => l.padEnd(width));
}
