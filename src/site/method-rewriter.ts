import { Duplex } from 'node:stream';
import type * as net from 'node:net';
import type * as tls from 'node:tls';
import { ChunkedBody, isRefusal, MAX_HEAD, parseHead, type Refusal } from './http-framing';

/** The first byte of a request: a method's token character, or the CR/LF some clients send before it. */
const REQUEST_START = /^[A-Za-z0-9!#$%&'*+.^_`|~\r\n-]$/;

/**
 * Node's HTTP parser refuses methods it does not know, and the MP protocol uses
 * `CCM_POST`. This Duplex sits between the TCP/TLS socket and an http.Server: it rewrites
 * an unknown method in each request line to POST and records the original in a header
 * (any such header the client sent is dropped), following Content-Length and chunked bodies
 * so that every request on a keep-alive connection is seen. Framing it cannot follow is
 * answered with 400 or 431 on the raw socket, which is then closed.
 */

export const ORIGINAL_METHOD_HEADER = 'x-ccmlab-original-method';
const KNOWN_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'OPTIONS', 'PATCH', 'CONNECT', 'TRACE']);
const REASONS = { 400: 'Bad Request', 431: 'Request Header Fields Too Large' } as const;

/** Where the reader is in the request stream: between requests, in a head, in a body. */
export type ReadPhase = 'between' | 'head' | 'body';

export interface RewriterObserver {
  phase(phase: ReadPhase): void;
  refused(refusal: Refusal): void;
  /** What the http server wrote has been handed to the socket. */
  wrote(): void;
}

type HeadState = { kind: 'head'; parts: Buffer[]; length: number; tail: Buffer };
type State =
  HeadState | { kind: 'length'; remaining: number } | { kind: 'chunked'; body: ChunkedBody } | { kind: 'refused' };

const TERMINATOR = Buffer.from('\r\n\r\n');

function emptyHead(): HeadState {
  return { kind: 'head', parts: [], length: 0, tail: Buffer.alloc(0) };
}

export class MethodRewritingSocket extends Duplex {
  readonly raw: net.Socket | tls.TLSSocket;
  private readonly observer: RewriterObserver;
  private state: State = emptyHead();

  constructor(raw: net.Socket | tls.TLSSocket, observer: RewriterObserver) {
    super({ allowHalfOpen: true });
    this.raw = raw;
    this.observer = observer;
    raw.on('data', (chunk: Buffer) => {
      const out = this.rewrite(chunk);
      if (out.length > 0 && !this.push(out)) raw.pause();
    });
    raw.on('end', () => this.push(null));
    raw.on('error', (error) => this.destroy(error));
    raw.on('close', () => this.destroy());
  }

  get remoteAddress(): string | undefined {
    return this.raw.remoteAddress;
  }
  get remotePort(): number | undefined {
    return this.raw.remotePort;
  }
  get encrypted(): boolean {
    return 'encrypted' in this.raw && this.raw.encrypted === true;
  }

  /** The TLS peer certificate, as handlers of a TLS listener see it. */
  getPeerCertificate(detailed?: boolean): tls.PeerCertificate | object {
    return 'getPeerCertificate' in this.raw ? (this.raw as tls.TLSSocket).getPeerCertificate(detailed === true) : {};
  }

  /** The listener's connection guard owns every timeout, so Node's requests for one are ignored. */
  setTimeout(): this {
    return this;
  }
  setNoDelay(noDelay?: boolean): this {
    this.raw.setNoDelay(noDelay);
    return this;
  }
  setKeepAlive(enable?: boolean, delay?: number): this {
    this.raw.setKeepAlive(enable, delay);
    return this;
  }

  override _read(): void {
    this.raw.resume();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.raw.write(chunk, this.written(callback));
  }

  /** What the http server wrote while corked (a response's head and body) goes out in one write: one TLS record, one system call. */
  override _writev(chunks: Array<{ chunk: Buffer }>, callback: (error?: Error | null) => void): void {
    this.raw.write(
      chunks.length === 1 ? chunks[0].chunk : Buffer.concat(chunks.map((c) => c.chunk)),
      this.written(callback),
    );
  }

  private written(callback: (error?: Error | null) => void): (error?: Error | null) => void {
    return (error) => {
      if (!error) this.observer.wrote();
      callback(error);
    };
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.raw.end(callback);
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.raw.destroy(error ?? undefined);
    callback(error);
  }

  /** The bytes to hand the http server; on a refusal, none (the connection is closing). */
  private rewrite(chunk: Buffer): Buffer {
    const out: Buffer[] = [];
    let rest = chunk;
    // Each turn consumes at least one byte.
    while (rest.length > 0) {
      const taken = this.consume(rest);
      if (isRefusal(taken)) {
        this.refuse(taken);
        return Buffer.alloc(0);
      }
      out.push(taken.out);
      rest = rest.subarray(taken.used);
    }
    // A chunk is mostly one piece (a body, or a head without its body): no copy for it.
    return out.length === 1 ? out[0] : Buffer.concat(out);
  }

  private consume(bytes: Buffer): { out: Buffer; used: number } | Refusal {
    const state = this.state;
    if (state.kind === 'length') {
      const used = Math.min(state.remaining, bytes.length);
      state.remaining -= used;
      if (state.remaining === 0) this.between();
      return { out: bytes.subarray(0, used), used };
    }
    if (state.kind === 'chunked') {
      const fed = state.body.feed(bytes);
      if (isRefusal(fed)) return fed;
      if (fed.done) this.between();
      return { out: bytes.subarray(0, fed.used), used: fed.used };
    }
    if (state.kind === 'head') return this.takeHead(state, bytes);
    // Refused: what the client still sends is dropped.
    return { out: Buffer.alloc(0), used: bytes.length };
  }

  private takeHead(state: HeadState, bytes: Buffer): { out: Buffer; used: number } | Refusal {
    if (state.length === 0) {
      // A request line starts with a method token (or a stray CRLF): anything else, such as a
      // TLS ClientHello (0x16) on a plain HTTP port, is answered at once, as IIS does.
      if (bytes.length > 0 && !REQUEST_START.test(String.fromCharCode(bytes[0])))
        return { status: 400, reason: 'not an HTTP request (TLS on a plain HTTP port?)' };
      this.observer.phase('head');
    }
    // Search the new bytes and the three before them, and join the parts only once the head
    // is complete: a head dripped a byte at a time costs linear time.
    const window = state.tail.length === 0 ? bytes : Buffer.concat([state.tail, bytes]);
    const at = window.indexOf(TERMINATOR);
    const used = at < 0 ? bytes.length : at + TERMINATOR.length - state.tail.length;
    if (state.length + used > MAX_HEAD) return { status: 431, reason: `request head over ${MAX_HEAD / 1024} KiB` };
    state.parts.push(bytes.subarray(0, used));
    state.length += used;
    if (at < 0) {
      state.tail = window.subarray(-3);
      return { out: Buffer.alloc(0), used };
    }
    const head = state.parts.length === 1 ? state.parts[0] : Buffer.concat(state.parts);
    const rewritten = this.rewriteHead(head.toString('latin1', 0, head.length - TERMINATOR.length));
    return isRefusal(rewritten) ? rewritten : { out: Buffer.from(rewritten, 'latin1'), used };
  }

  private rewriteHead(text: string): string | Refusal {
    const parsed = parseHead(text, ORIGINAL_METHOD_HEADER);
    if (isRefusal(parsed)) return parsed;
    const { framing } = parsed;
    if (framing.kind === 'length') this.state = { kind: 'length', remaining: framing.length };
    else if (framing.kind === 'chunked') this.state = { kind: 'chunked', body: new ChunkedBody() };
    if (framing.kind === 'none') this.between();
    else this.observer.phase('body');
    const [method, ...requestLineRest] = parsed.requestLine.split(' ');
    const lines =
      KNOWN_METHODS.has(method) || !/^[A-Z_]{1,32}$/.test(method)
        ? [parsed.requestLine, ...parsed.headers]
        : [['POST', ...requestLineRest].join(' '), `${ORIGINAL_METHOD_HEADER}: ${method}`, ...parsed.headers];
    return `${lines.join('\r\n')}\r\n\r\n`;
  }

  private between(): void {
    this.state = emptyHead();
    this.observer.phase('between');
  }

  /**
   * A minimal answer written past the http server, then our half of the connection closed.
   * What the client still sends is read and dropped until it closes its half (or the guard's
   * timer closes the socket): destroying at once could reset the connection before the client
   * has read the answer.
   */
  private refuse(refusal: Refusal): void {
    this.state = { kind: 'refused' };
    this.observer.refused(refusal);
    this.raw.end(
      `HTTP/1.1 ${refusal.status} ${REASONS[refusal.status]}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`,
    );
  }
}
