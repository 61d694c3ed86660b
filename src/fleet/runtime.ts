import * as os from 'node:os';
import * as v8 from 'node:v8';

/**
 * The process settings of a long fleet run, made before any of its work starts.
 */

/**
 * Key generation runs on libuv's thread pool (async crypto.generateKeyPair), 4 threads by
 * default: fewer than the cores of a larger machine. Before the pool's first use (it starts
 * lazily) the fleet asks for one thread per core, at least 4, unless UV_THREADPOOL_SIZE is set.
 * Returns the size in effect.
 */
export function useEveryCore(env: NodeJS.ProcessEnv = process.env): number {
  if (!/^\d+$/.test(env.UV_THREADPOOL_SIZE ?? ''))
    env.UV_THREADPOOL_SIZE = String(Math.max(4, os.availableParallelism()));
  return Number(env.UV_THREADPOOL_SIZE);
}

/**
 * An enrollment makes a lot of short-lived garbage that lives long enough to reach V8's old
 * space (it waits on the network); by default V8 lets the old space grow to several times what
 * is live between full collections, so the peak RSS of a run grows with its length. Growing by
 * at most 25% keeps it flat at no cost in throughput (the README's fleet table shows it). V8
 * reads this flag at each collection.
 */
export function boundHeapGrowth(): void {
  v8.setFlagsFromString('--heap-growing-percent=25');
}
