/**
 * Every log open in the process, so the exit handler can close them all (each line on disk)
 * without loading the logger itself.
 */

interface Closable {
  close(): Promise<void>;
}

const open = new Set<Closable>();

export function logOpened(log: Closable): void {
  open.add(log);
}

export function logClosed(log: Closable): void {
  open.delete(log);
}

/** Called by the exit handler: every log flushed and closed before the process exits. */
export async function closeAllLogs(): Promise<void> {
  await Promise.all([...open].map((log) => log.close()));
}

/** The logs open now: what a command found open when it started, and must leave open. */
export function openLogs(): ReadonlySet<Closable> {
  return new Set(open);
}

/** Closes every log opened since `before` was taken: a command's own, and no one else's in the process. */
export async function closeLogsOpenedSince(before: ReadonlySet<Closable>): Promise<void> {
  await Promise.all([...open].filter((log) => !before.has(log)).map((log) => log.close()));
}
