/**
 * A command that stops gracefully: the first SIGINT or SIGTERM aborts the signal `work` is
 * given (and `onStop` says so); a second finds no listener of the command's and exit.ts ends
 * the process at once. The listeners go when `work` settles, so nothing of the command's
 * outlives it.
 */
export async function untilStopped<T>(work: (signal: AbortSignal) => Promise<T>, onStop?: () => void): Promise<T> {
  const controller = new AbortController();
  const stop = (): void => {
    if (!controller.signal.aborted) onStop?.();
    controller.abort();
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    return await work(controller.signal);
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
}
