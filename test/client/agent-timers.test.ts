import { MAX_TIMER_MS, sleep } from '../../src/client/agent';

// Fake timers: these tests measure no wall-clock time; they check which timer fires when.
beforeEach(() => jest.useFakeTimers());
afterEach(() => jest.useRealTimers());

const DAY = 86_400_000;

describe('renewal timers longer than setTimeout allows', () => {
  test('a 30-day wait does not fire at 24.8 days (where a plain setTimeout would overflow)', async () => {
    let done = false;
    void sleep(30 * DAY, new AbortController().signal).then(() => (done = true));
    await jest.advanceTimersByTimeAsync(MAX_TIMER_MS + 1);
    expect(done).toBe(false);
    await jest.advanceTimersByTimeAsync(29 * DAY - MAX_TIMER_MS);
    expect(done).toBe(false);
    await jest.advanceTimersByTimeAsync(DAY);
    expect(done).toBe(true);
  });

  test('an abort ends the wait at once and leaves no timer', async () => {
    const stop = new AbortController();
    let done = false;
    void sleep(60 * DAY, stop.signal).then(() => (done = true));
    stop.abort();
    await Promise.resolve();
    expect(done).toBe(true);
    expect(jest.getTimerCount()).toBe(0);
  });
});
