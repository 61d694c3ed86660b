import * as os from 'node:os';

/**
 * Key generation runs on libuv's thread pool (async crypto.generateKeyPair), 4 threads by
 * default: fewer than the cores of a larger machine. Before the pool's first use (it starts
 * lazily) the fleet asks for one thread per core, at least 4, unless UV_THREADPOOL_SIZE is set.
 * Returns the size in effect.
 */
export function useEveryCore(env: NodeJS.ProcessEnv = process.env): number {
  if (!/^\d+$/.test(env.UV_THREADPOOL_SIZE ?? '')) env.UV_THREADPOOL_SIZE = String(Math.max(4, os.availableParallelism()));
  return Number(env.UV_THREADPOOL_SIZE);
}
