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
