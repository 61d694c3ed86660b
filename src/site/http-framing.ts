/**
 * Pure HTTP/1.1 request framing, as the method-rewriting Duplex needs it to find where
 * each request ends: the head's framing headers and the chunked transfer coding. Anything
 * it cannot follow is a refusal (the listener answers it and closes), so that our view of
 * the byte stream never differs from the http server's.
 */

export type Framing = { kind: 'none' } | { kind: 'length'; length: number } | { kind: 'chunked' };

/** Why a request is refused; `reason` is ours, never bytes from the wire. */
export interface Refusal {
  status: 400 | 431;
  reason: string;
}

export interface ParsedHead {
  requestLine: string;
  /** Header lines as sent, less any copy of `dropHeader`. */
  headers: string[];
  framing: Framing;
}

/** Largest request head (and largest trailer section), in bytes. */
export const MAX_HEAD = 64 * 1024;
const MAX_CHUNK_LINE = 1024;
const HEADER_LINE = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+):([^\r\n]*)$/;
const CHUNK_LINE = /^([0-9A-Fa-f]{1,13})(;[\t\x20-\x7e]*)?$/;

export function isRefusal(value: unknown): value is Refusal {
  return typeof value === 'object' && value !== null && 'status' in value && 'reason' in value;
}

/** `head` is the request line and header lines, without the final empty line. */
export function parseHead(head: string, dropHeader: string): ParsedHead | Refusal {
  const [requestLine, ...lines] = head.split('\r\n');
  if (/[\r\n]/.test(requestLine)) return { status: 400, reason: 'bare CR or LF in the request line' };
  const headers: string[] = [];
  const lengths: string[] = [];
  const codings: string[] = [];
  for (const line of lines) {
    // A header line the http server would read differently (obs-fold, space before the colon)
    // could hide a framing header from us.
    const match = HEADER_LINE.exec(line);
    if (!match) return { status: 400, reason: 'malformed header line' };
    const name = match[1].toLowerCase();
    if (name === dropHeader) continue;
    if (name === 'content-length') lengths.push(match[2].trim());
    if (name === 'transfer-encoding')
      codings.push(
        ...match[2]
          .split(',')
          .map((c) => c.trim().toLowerCase())
          .filter((c) => c !== ''),
      );
    headers.push(line);
  }
  const framing = framingOf(lengths, codings);
  return isRefusal(framing) ? framing : { requestLine, headers, framing };
}

export function framingOf(lengths: string[], codings: string[]): Framing | Refusal {
  if (lengths.length > 0 && codings.length > 0)
    return { status: 400, reason: 'both Content-Length and Transfer-Encoding' };
  if (codings.length > 0) {
    const last = codings.length - 1;
    if (codings[last] !== 'chunked' || codings.indexOf('chunked') !== last)
      return { status: 400, reason: 'Transfer-Encoding other than a final chunked' };
    return { kind: 'chunked' };
  }
  if (lengths.length > 1) return { status: 400, reason: 'more than one Content-Length' };
  if (lengths.length === 0) return { kind: 'none' };
  if (!/^\d{1,15}$/.test(lengths[0])) return { status: 400, reason: 'invalid Content-Length' };
  const length = Number(lengths[0]);
  return length === 0 ? { kind: 'none' } : { kind: 'length', length };
}

type ChunkedAt =
  | { at: 'size'; line: string }
  | { at: 'data'; remaining: number }
  | { at: 'data-end'; seen: number }
  | { at: 'trailer'; line: string; total: number };

/**
 * Follows a chunked body (chunk-size line, data, CRLF, …, last chunk, trailers, empty line)
 * without decoding it: feed() says how many bytes belong to the body.
 */
export class ChunkedBody {
  private state: ChunkedAt = { at: 'size', line: '' };

  /** Bytes of `bytes` used, and whether the body ended there; or why it is refused. */
  feed(bytes: Buffer): { used: number; done: boolean } | Refusal {
    let pos = 0;
    // Each step consumes at least one byte or ends the body, so this ends within bytes.length + 1 steps.
    while (pos < bytes.length) {
      const step = this.step(bytes, pos);
      if (isRefusal(step)) return step;
      pos = step.pos;
      if (step.done) return { used: pos, done: true };
    }
    return { used: pos, done: false };
  }

  private step(bytes: Buffer, pos: number): { pos: number; done: boolean } | Refusal {
    const state = this.state;
    if (state.at === 'data') {
      const take = Math.min(state.remaining, bytes.length - pos);
      state.remaining -= take;
      if (state.remaining === 0) this.state = { at: 'data-end', seen: 0 };
      return { pos: pos + take, done: false };
    }
    if (state.at === 'data-end') {
      if (bytes[pos] !== (state.seen === 0 ? 0x0d : 0x0a))
        return { status: 400, reason: 'chunk data not followed by CRLF' };
      if (state.seen === 1) this.state = { at: 'size', line: '' };
      else state.seen = 1;
      return { pos: pos + 1, done: false };
    }
    const newline = bytes.indexOf(0x0a, pos);
    const end = newline < 0 ? bytes.length : newline + 1;
    const line = state.line + bytes.toString('latin1', pos, end);
    if (state.at === 'size') {
      if (line.length > MAX_CHUNK_LINE) return { status: 400, reason: `chunk-size line over ${MAX_CHUNK_LINE} bytes` };
      if (newline < 0) this.state = { at: 'size', line };
      else {
        const next = chunkSize(line);
        if (isRefusal(next)) return next;
        this.state = next;
      }
      return { pos: end, done: false };
    }
    const total = state.total + (end - pos);
    if (total > MAX_HEAD) return { status: 431, reason: `trailers over ${MAX_HEAD / 1024} KiB` };
    if (newline < 0) {
      this.state = { at: 'trailer', line, total };
      return { pos: end, done: false };
    }
    if (!line.endsWith('\r\n')) return { status: 400, reason: 'bare LF in the trailers' };
    this.state = { at: 'trailer', line: '', total };
    return { pos: end, done: line === '\r\n' };
  }
}

function chunkSize(line: string): ChunkedAt | Refusal {
  const match = line.endsWith('\r\n') ? CHUNK_LINE.exec(line.slice(0, -2)) : null;
  if (!match) return { status: 400, reason: 'malformed chunk-size line' };
  const size = parseInt(match[1], 16);
  return size === 0 ? { at: 'trailer', line: '', total: 0 } : { at: 'data', remaining: size };
}
