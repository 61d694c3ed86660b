import * as path from 'node:path';
import { addSlot, KeyCache, newSlot, prepareKeyCache } from './key-cache';
import { numbers, runPool, type ProgressSink } from './pool';

/**
 * `ccmlab fleet keys`: the RSA-2048 key pairs of `count` clients (two each, signing and
 * encryption, as the real client makes them; one with --one-key), generated on every core
 * (libuv's thread pool, one slot per thread in work) and added to the cache one slot at a
 * time, each written atomically, 0600.
 */

export interface KeysRequest {
  keyCache: string;
  count: number;
  oneKey: boolean;
  /** Slots in work at once: the thread pool's size. */
  threads: number;
  progress?: ProgressSink;
  signal?: AbortSignal;
}

export interface KeysSummary {
  keyCache: string;
  made: number;
  keysPerClient: 1 | 2;
  /** Slots in the cache no client has taken, after this run. */
  ready: number;
  threads: number;
  seconds: number;
  keyPairsPerSecond: number;
  interrupted: boolean;
}

export async function makeFleetKeys(request: KeysRequest): Promise<KeysSummary> {
  prepareKeyCache(request.keyCache);
  let made = 0;
  const started = performance.now();
  request.progress?.start(request.count);
  let run;
  try {
    run = await runPool({
      items: numbers(request.count),
      concurrency: request.threads,
      work: async () => addSlot(request.keyCache, await newSlot(request.oneKey)),
      onResult: (_i, outcome) => {
        if (!outcome.ok) throw outcome.error;
        made++;
        request.progress?.update(made, 0);
      },
      signal: request.signal,
    });
  } finally {
    request.progress?.stop();
  }
  const seconds = (performance.now() - started) / 1000;
  const keysPerClient = request.oneKey ? 1 : 2;
  const cache = KeyCache.open(request.keyCache);
  return {
    keyCache: path.resolve(request.keyCache),
    made,
    keysPerClient,
    ready: cache.countReady(),
    threads: request.threads,
    seconds: Number(seconds.toFixed(2)),
    keyPairsPerSecond: Number(((made * keysPerClient) / Math.max(seconds, 1e-3)).toFixed(1)),
    interrupted: run.stopped,
  };
}
