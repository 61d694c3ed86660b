import { Duplex } from 'node:stream';
import type * as net from 'node:net';
import type * as tls from 'node:tls';

/**
 * Node's HTTP parser refuses methods it does not know, and the MP protocol uses
 * `CCM_POST`. This Duplex sits between the TCP/TLS socket and an http.Server: it rewrites
 * an unknown method in each request line to POST and records the original in a header
 * (any such header the client sent is dropped), tracking Content-Length bodies so that
 * every request on a keep-alive connection is seen. A chunked request body switches the
 * connection to pass-through (our clients never send one).
 */

export const ORIGINAL_METHOD_HEADER = 'x-ccmlab-original-method';
const KNOWN_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'OPTIONS', 'PATCH', 'CONNECT', 'TRACE']);
const MAX_HEAD = 64 * 1024;

type State = { kind: 'head'; buffer: Buffer } | { kind: 'body'; remaining: number } | { kind: 'passthrough' };

export class MethodRewritingSocket extends Duplex {
  readonly raw: net.Socket | tls.TLSSocket;
  private state: State = { kind: 'head', buffer: Buffer.alloc(0) };

  constructor(raw: net.Socket | tls.TLSSocket) {
    super({ allowHalfOpen: true });
    this.raw = raw;
    raw.on('data', (chunk: Buffer) => {
      if (!this.push(this.rewrite(chunk))) raw.pause();
    });
    raw.on('end', () => this.push(null));
    raw.on('error', (error) => this.destroy(error));
    raw.on('close', () => this.destroy());
    raw.on('timeout', () => this.emit('timeout'));
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

  setTimeout(ms: number, callback?: () => void): this {
    this.raw.setTimeout(ms);
    if (callback) this.once('timeout', callback);
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
    this.raw.write(chunk, callback);
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.raw.end(callback);
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.raw.destroy(error ?? undefined);
    callback(error);
  }

  private rewrite(chunk: Buffer): Buffer {
    const out: Buffer[] = [];
    let rest = chunk;
    while (rest.length > 0) {
      const state = this.state;
      if (state.kind === 'passthrough') {
        out.push(rest);
        break;
      }
      if (state.kind === 'body') {
        const take = Math.min(state.remaining, rest.length);
        out.push(rest.subarray(0, take));
        rest = rest.subarray(take);
        state.remaining -= take;
        if (state.remaining === 0) this.state = { kind: 'head', buffer: Buffer.alloc(0) };
        continue;
      }
      const buffer = Buffer.concat([state.buffer, rest]);
      const end = buffer.indexOf('\r\n\r\n');
      if (end < 0) {
        if (buffer.length > MAX_HEAD) {
          // Let the HTTP parser refuse it (431) rather than buffering without bound.
          this.state = { kind: 'passthrough' };
          out.push(buffer);
        } else {
          this.state = { kind: 'head', buffer };
        }
        break;
      }
      const head = buffer.subarray(0, end + 4).toString('latin1');
      rest = buffer.subarray(end + 4);
      out.push(Buffer.from(this.rewriteHead(head), 'latin1'));
    }
    return Buffer.concat(out);
  }

  private rewriteHead(head: string): string {
    const lines = head.split('\r\n');
    const [method, ...requestLineRest] = lines[0].split(' ');
    const headers = lines.slice(1).filter((line) => !line.toLowerCase().startsWith(`${ORIGINAL_METHOD_HEADER}:`));
    const lengthLine = headers.find((line) => /^content-length\s*:/i.test(line));
    const length = lengthLine ? Number(lengthLine.slice(lengthLine.indexOf(':') + 1).trim()) : 0;
    const chunked = headers.some((line) => /^transfer-encoding\s*:.*chunked/i.test(line));
    if (chunked || !Number.isSafeInteger(length) || length < 0) this.state = { kind: 'passthrough' };
    else this.state = length > 0 ? { kind: 'body', remaining: length } : { kind: 'head', buffer: Buffer.alloc(0) };
    if (KNOWN_METHODS.has(method) || !/^[A-Z_]{1,32}$/.test(method)) {
      return [lines[0], ...headers].join('\r\n');
    }
    return [['POST', ...requestLineRest].join(' '), `${ORIGINAL_METHOD_HEADER}: ${method}`, ...headers].join('\r\n');
  }
}
