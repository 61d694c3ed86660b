import { ConnectionGuard, decideTimer, type ListenerLimits } from '../../src/site/connection-guard';

const limits: ListenerLimits = { headerTimeoutS: 30, requestTimeoutS: 60, idleTimeoutS: 120, maxConnections: 1024 };

describe('decideTimer', () => {
  test('reading a head: what is left of the header timeout', () => {
    expect(decideTimer({ phase: 'head', elapsedMs: 10_000, pending: 0 }, limits)).toEqual({
      delayMs: 20_000,
      reason: 'headers not complete within 30 s (header timeout)',
    });
  });

  test('reading a head with a request timeout shorter than the header timeout: the request timeout', () => {
    expect(decideTimer({ phase: 'head', elapsedMs: 0, pending: 0 }, { ...limits, requestTimeoutS: 5 })).toEqual({
      delayMs: 5_000,
      reason: 'request not complete within 5 s (request timeout)',
    });
  });

  test('reading a body: what is left of the request timeout, counted from the head', () => {
    expect(decideTimer({ phase: 'body', elapsedMs: 45_000, pending: 1 }, limits)).toEqual({
      delayMs: 15_000,
      reason: 'request not complete within 60 s (request timeout)',
    });
  });

  test('a deadline already past fires at once', () => {
    expect(decideTimer({ phase: 'body', elapsedMs: 90_000, pending: 0 }, limits).delayMs).toBe(0);
  });

  test('a TLS handshake: the header timeout', () => {
    expect(decideTimer({ phase: 'handshake', elapsedMs: 0, pending: 0 }, limits)).toEqual({
      delayMs: 30_000,
      reason: 'TLS handshake not complete within 30 s (header timeout)',
    });
  });

  test('between requests: the idle timeout, whether or not a response is still due', () => {
    expect(decideTimer({ phase: 'between', elapsedMs: 500_000, pending: 0 }, limits)).toEqual({
      delayMs: 120_000,
      reason: 'no request within 120 s (idle timeout)',
    });
    expect(decideTimer({ phase: 'between', elapsedMs: 0, pending: 2 }, limits)).toEqual({
      delayMs: 120_000,
      reason: 'response made no progress for 120 s (idle timeout)',
    });
  });
});

describe('ConnectionGuard', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  test('a response that keeps writing is not cut by the idle timeout; one that stops is', () => {
    const expired: string[] = [];
    const guard = new ConnectionGuard({ ...limits, idleTimeoutS: 1 }, 'between', (reason) => expired.push(reason));
    guard.requestStarted();
    for (let i = 0; i < 5; i++) {
      jest.advanceTimersByTime(800);
      guard.responseProgress();
    }
    expect(expired).toEqual([]);
    jest.advanceTimersByTime(1000);
    expect(expired).toEqual(['response made no progress for 1 s (idle timeout)']);
    guard.stop();
  });

  test('progress between requests, with no response due, does not hold a connection open', () => {
    const expired: string[] = [];
    const guard = new ConnectionGuard({ ...limits, idleTimeoutS: 1 }, 'between', (reason) => expired.push(reason));
    jest.advanceTimersByTime(800);
    guard.responseProgress();
    jest.advanceTimersByTime(200);
    expect(expired).toEqual(['no request within 1 s (idle timeout)']);
    guard.stop();
  });
});
