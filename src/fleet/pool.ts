/**
 * A worker pool: at most `concurrency` items in work at once, taken lazily from an iterator
 * (nothing is listed up front, so memory does not grow with the number of items), each
 * result handed to `onResult` as it comes. A failing item is a result like any other and
 * never stops the rest; a failing `onResult` (the caller's own bookkeeping, a journal that
 * cannot be written) stops the pool: no new item starts, those in work finish, and the pool
 * rejects with that error. An aborted `signal` stops it the same way, without an error.
 */

/** What a caller shows while a pool runs (a progress bar). */
export interface ProgressSink {
  start(total: number): void;
  update(done: number, failed: number): void;
  stop(): void;
}

/** 0, 1, … count − 1, one at a time. */
export function* numbers(count: number): Generator<number> {
  for (let i = 0; i < count; i++) yield i;
}

export type Outcome<R> = { ok: true; value: R } | { ok: false; error: unknown };

export interface PoolOptions<T, R> {
  items: Iterable<T> | Iterator<T>;
  concurrency: number;
  work: (item: T) => Promise<R>;
  onResult: (item: T, outcome: Outcome<R>) => void | Promise<void>;
  signal?: AbortSignal;
}

export interface PoolRun {
  /** Items taken from the iterator (each got its result). */
  started: number;
  /** True when the signal stopped the pool before the items ran out. */
  stopped: boolean;
}

function iteratorOf<T>(items: Iterable<T> | Iterator<T>): Iterator<T> {
  return Symbol.iterator in items ? (items as Iterable<T>)[Symbol.iterator]() : (items as Iterator<T>);
}

export async function runPool<T, R>(options: PoolOptions<T, R>): Promise<PoolRun> {
  const iterator = iteratorOf(options.items);
  const run: PoolRun = { started: 0, stopped: false };
  let exhausted = false;
  let fatal: { error: unknown } | undefined;
  const take = (): IteratorResult<T> | undefined => {
    if (fatal || exhausted) return undefined;
    if (options.signal?.aborted) {
      run.stopped = true;
      return undefined;
    }
    const next = iterator.next();
    if (next.done) exhausted = true;
    else run.started++;
    return next.done ? undefined : next;
  };
  const worker = async (): Promise<void> => {
    for (let next = take(); next; next = take()) {
      let outcome: Outcome<R>;
      try {
        outcome = { ok: true, value: await options.work(next.value) };
      } catch (error) {
        outcome = { ok: false, error };
      }
      try {
        await options.onResult(next.value, outcome);
      } catch (error) {
        fatal ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, options.concurrency) }, worker));
  // Stopped early: the iterator may hold something open (a directory listing) until told.
  if (!exhausted) iterator.return?.();
  if (fatal) throw fatal.error;
  return run;
}
