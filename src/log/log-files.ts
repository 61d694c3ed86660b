import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * Where a log's older lines live. Site logs keep one `X.lo_`; client logs keep history
 * files `X-YYYYMMDD-HHMMSS.log` (a `-N` suffix when several roll over in one second).
 */

export type RolloverStyle = 'history' | 'lo_';

export interface HistoryFile {
  path: string;
  stamp: string;
  sequence: number;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** History files of `base` in `dir`, oldest first. */
export function listHistoryFiles(dir: string, base: string): HistoryFile[] {
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return [];
  }
  const pattern = new RegExp(`^${escapeRegExp(base)}-(\\d{8}-\\d{6})(?:-(\\d+))?\\.log$`);
  const found: HistoryFile[] = [];
  for (const name of names) {
    const m = pattern.exec(name);
    if (m) found.push({ path: path.join(dir, name), stamp: m[1], sequence: m[2] ? Number(m[2]) : 0 });
  }
  return found.sort((a, b) => (a.stamp === b.stamp ? a.sequence - b.sequence : a.stamp < b.stamp ? -1 : 1));
}

/**
 * The name for a rollover at `stamp`: plain when free, else the next `-N` after the
 * highest one of that second (never a lower, pruned one, which would sort as oldest).
 */
export function nextHistoryPath(dir: string, base: string, stamp: string): string {
  const sameSecond = listHistoryFiles(dir, base).filter((h) => h.stamp === stamp);
  if (sameSecond.length === 0) return path.join(dir, `${base}-${stamp}.log`);
  const next = Math.max(...sameSecond.map((h) => h.sequence)) + 1;
  return path.join(dir, `${base}-${stamp}-${next}.log`);
}

/** Every file that holds lines of the log at `livePath`, oldest first, live log last. */
export function logSetPaths(livePath: string): string[] {
  const dir = path.dirname(livePath);
  const base = path.basename(livePath).replace(/\.(log|lo_)$/i, '');
  const files: string[] = [];
  const rolled = path.join(dir, `${base}.lo_`);
  if (fs.existsSync(rolled)) files.push(rolled);
  for (const h of listHistoryFiles(dir, base)) files.push(h.path);
  const live = path.join(dir, `${base}.log`);
  if (fs.existsSync(live)) files.push(live);
  return files;
}
