import type { CcmlabError } from './errors';

/**
 * What a command must still write when it is ended early (Ctrl+C, a reader gone from its
 * output): ccmsetup's failure exit line, say. Each hook is synchronous (the logs are), so it
 * runs in full before the process exits; each runs once, and a hook that throws cannot keep
 * the others or the exit from happening.
 */

type LastWords = (reason: CcmlabError) => void;

const hooks = new Set<LastWords>();

/** Runs `work` with `hook` said if the process is ended before `work` settles. */
export async function withLastWords<T>(hook: LastWords, work: () => Promise<T>): Promise<T> {
  hooks.add(hook);
  try {
    return await work();
  } finally {
    hooks.delete(hook);
  }
}

/** Says every pending hook's words, once. */
export function sayLastWords(reason: CcmlabError): void {
  const pending = [...hooks];
  hooks.clear();
  for (const hook of pending) {
    try {
      hook(reason);
    } catch {
      // The process is ending; the other hooks and the exit still run.
    }
  }
}
