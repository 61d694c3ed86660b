/**
 * One timer per connection, re-armed on each change of its state, so that slow or silent
 * clients cannot hold a listener's connections: the head (and a TLS handshake) must arrive
 * within the header timeout, the whole request within the request timeout, and a
 * connection with nothing to read and nothing to answer is closed after the idle timeout.
 */

export interface ListenerLimits {
  headerTimeoutS: number;
  requestTimeoutS: number;
  idleTimeoutS: number;
  maxConnections: number;
}

/** The reader's phase (see method-rewriter), or a TLS handshake before any request. */
export type ConnectionPhase = 'handshake' | 'head' | 'body' | 'between';

export interface ConnectionView {
  phase: ConnectionPhase;
  /** Milliseconds since the current request's first byte (or the TCP accept, for a handshake). */
  elapsedMs: number;
  /** Requests handed to the http server whose responses have not finished. */
  pending: number;
}

export interface TimerDecision {
  delayMs: number;
  /** Completes "Closed connection from X: …". */
  reason: string;
}

export function decideTimer(view: ConnectionView, limits: ListenerLimits): TimerDecision {
  const { headerTimeoutS: header, requestTimeoutS: request, idleTimeoutS: idle } = limits;
  const left = (seconds: number) => Math.max(0, seconds * 1000 - view.elapsedMs);
  if (view.phase === 'handshake')
    return { delayMs: left(header), reason: `TLS handshake not complete within ${header} s (header timeout)` };
  if (view.phase === 'head' && header <= request)
    return { delayMs: left(header), reason: `headers not complete within ${header} s (header timeout)` };
  if (view.phase !== 'between')
    return { delayMs: left(request), reason: `request not complete within ${request} s (request timeout)` };
  // A response that stops moving (a client that stops reading) is bounded like silence; one
  // that moves (a large download) is re-armed by each write.
  if (view.pending > 0)
    return { delayMs: idle * 1000, reason: `response made no progress for ${idle} s (idle timeout)` };
  return { delayMs: idle * 1000, reason: `no request within ${idle} s (idle timeout)` };
}

export class ConnectionGuard {
  private readonly limits: ListenerLimits;
  private readonly expire: (reason: string) => void;
  private phase: ConnectionPhase;
  private started = performance.now();
  private pending = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(limits: ListenerLimits, phase: ConnectionPhase, expire: (reason: string) => void) {
    this.limits = limits;
    this.phase = phase;
    this.expire = expire;
    this.arm();
  }

  setPhase(phase: ConnectionPhase): void {
    // The request clock runs from the first byte of a head, through its body.
    if (phase === 'head' || phase === 'between') this.started = performance.now();
    this.phase = phase;
    this.arm();
  }

  requestStarted(): void {
    this.pending++;
    this.arm();
  }

  /** Bytes of a response reached the socket: the idle timer starts again. */
  responseProgress(): void {
    if (this.pending > 0 && this.phase === 'between') this.arm();
  }

  responseFinished(): void {
    this.pending--;
    this.arm();
  }

  stop(): void {
    clearTimeout(this.timer);
  }

  private arm(): void {
    clearTimeout(this.timer);
    const decision = decideTimer(
      { phase: this.phase, elapsedMs: performance.now() - this.started, pending: this.pending },
      this.limits,
    );
    this.timer = setTimeout(() => this.expire(decision.reason), decision.delayMs);
    // A guarded connection must not keep the process alive by its timer alone.
    this.timer.unref();
  }
}
