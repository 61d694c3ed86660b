/**
 * HTTP range requests (RFC 9110, section 14) as far as a file server and a BITS-like
 * downloader need them: one byte range per request. A Range header the server cannot
 * read, or one with several ranges, is ignored and the whole file sent (RFC 9110 14.2 lets
 * a server ignore Range); a range that starts past the end is unsatisfiable (416).
 */

export type RangeDecision =
  { kind: 'whole' } | { kind: 'range'; start: number; end: number } | { kind: 'unsatisfiable' };

const SINGLE_RANGE = /^bytes[ \t]*=[ \t]*(\d{0,15})[ \t]*-[ \t]*(\d{0,15})[ \t]*$/i;
const CONTENT_RANGE = /^bytes (\d{1,15})-(\d{1,15})\/(\d{1,15})$/;

/**
 * What to send for `Range: <header>` of a file of `size` bytes. With `ifRangeMatches`
 * false (an If-Range validator that names another version of the file), the whole file.
 */
export function decideRange(header: string | undefined, size: number, ifRangeMatches = true): RangeDecision {
  if (header === undefined || !ifRangeMatches) return { kind: 'whole' };
  const m = SINGLE_RANGE.exec(header);
  if (!m || (m[1] === '' && m[2] === '')) return { kind: 'whole' };
  if (m[1] === '') {
    // A suffix range: the last N bytes.
    const length = Number(m[2]);
    if (length === 0 || size === 0) return { kind: 'unsatisfiable' };
    return { kind: 'range', start: Math.max(0, size - length), end: size - 1 };
  }
  const start = Number(m[1]);
  const last = m[2] === '' ? Infinity : Number(m[2]);
  if (last < start) return { kind: 'whole' };
  if (start >= size) return { kind: 'unsatisfiable' };
  return { kind: 'range', start, end: Math.min(last, size - 1) };
}

/** Whether an If-Range validator names this version: the strong ETag, or the exact Last-Modified date. */
export function ifRangeMatches(ifRange: string | undefined, etag: string, lastModified: string): boolean {
  if (ifRange === undefined) return true;
  const value = ifRange.trim();
  return value.startsWith('"') ? value === etag : value === lastModified;
}

export function contentRange(start: number, end: number, size: number): string {
  return `bytes ${start}-${end}/${size}`;
}

/** The Content-Range of a 416 answer: no range, the size. */
export function unsatisfiedRange(size: number): string {
  return `bytes */${size}`;
}

/** A 206 answer's Content-Range, read by a client to check it got the range it asked for. */
export function parseContentRange(text: string | undefined): { start: number; end: number; size: number } | undefined {
  const m = text === undefined ? null : CONTENT_RANGE.exec(text.trim());
  if (!m) return undefined;
  const [start, end, size] = [Number(m[1]), Number(m[2]), Number(m[3])];
  return start <= end && end < size ? { start, end, size } : undefined;
}

/** The Range header asking for bytes `start` to `end` (inclusive), or from `start` to the end. */
export function rangeHeader(start: number, end?: number): string {
  return `bytes=${start}-${end === undefined ? '' : end}`;
}
