import { numbers, runPool, type Outcome } from '../../src/fleet/pool';

/** A promise and its resolver, so a test decides when each piece of work ends. */
function gate(): { promise: Promise<void>; open: () => void } {
  let open = () => undefined as void;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

describe('worker pool', () => {
  test('at most `concurrency` items at once, taken lazily; every result reaches onResult', async () => {
    let running = 0;
    let most = 0;
    let taken = 0;
    const items = (function* () {
      for (let i = 0; i < 20; i++) {
        taken++;
        yield i;
      }
    })();
    const results: number[] = [];
    const run = await runPool({
      items,
      concurrency: 3,
      work: async (i) => {
        running++;
        most = Math.max(most, running);
        // While 3 run, no more than 3 have been taken from the iterator.
        expect(taken - results.length).toBeLessThanOrEqual(3);
        await Promise.resolve();
        running--;
        return i * 2;
      },
      onResult: (_i, outcome) => {
        if (outcome.ok) results.push(outcome.value);
      },
    });
    expect(run).toEqual({ started: 20, stopped: false });
    expect(most).toBe(3);
    expect(results.sort((a, b) => a - b)).toEqual([...numbers(20)].map((i) => i * 2));
  });

  test('a failing item is a result like any other and never stops the rest', async () => {
    const outcomes: Array<[number, Outcome<number>]> = [];
    const run = await runPool({
      items: numbers(6),
      concurrency: 2,
      work: async (i) => {
        if (i % 2 === 0) throw new Error(`item ${i}`);
        return i;
      },
      onResult: (i, outcome) => {
        outcomes.push([i, outcome]);
      },
    });
    expect(run.started).toBe(6);
    expect(
      outcomes
        .filter(([, o]) => !o.ok)
        .map(([i]) => i)
        .sort(),
    ).toEqual([0, 2, 4]);
    expect(
      outcomes
        .filter(([, o]) => o.ok)
        .map(([i]) => i)
        .sort(),
    ).toEqual([1, 3, 5]);
  });

  test('a failing onResult stops the pool: nothing new starts, work in progress ends, the pool rejects with it', async () => {
    const started: number[] = [];
    const slow = gate();
    const pool = runPool({
      items: numbers(10),
      concurrency: 2,
      work: async (i) => {
        started.push(i);
        if (i === 1) await slow.promise;
        return i;
      },
      onResult: (i) => {
        if (i === 0) throw new Error('journal full');
        if (i === 1) expect(started).toEqual([0, 1]);
      },
    });
    slow.open();
    await expect(pool).rejects.toThrow('journal full');
    expect(started).toEqual([0, 1]);
  });

  test('an aborted signal stops taking items; those in work finish; the iterator is told it is done', async () => {
    const controller = new AbortController();
    const done: number[] = [];
    let closed = false;
    const items = (function* () {
      try {
        yield* numbers(100);
      } finally {
        closed = true;
      }
    })();
    const run = await runPool({
      items,
      concurrency: 2,
      work: async (i) => {
        if (i === 3) controller.abort();
        return i;
      },
      onResult: (i) => {
        done.push(i);
      },
      signal: controller.signal,
    });
    expect(run.stopped).toBe(true);
    expect(run.started).toBeLessThan(100);
    expect(done).toHaveLength(run.started);
    expect(closed).toBe(true);
  });
});
