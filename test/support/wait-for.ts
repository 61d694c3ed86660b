import * as fs from 'node:fs';
import type { Readable } from 'node:stream';

/**
 * Resolves with everything `stream` printed once it matches `pattern`: tests wait for a
 * process's ready line instead of sleeping. Fails when the stream ends without it, or at
 * the deadline (a bound on a hang, not a wait).
 */
export function waitForOutput(stream: Readable, pattern: RegExp, timeoutMs = 30_000): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    const finish = (error?: Error): void => {
      clearTimeout(timer);
      stream.off('data', onData);
      stream.off('end', onEnd);
      if (error) reject(error);
      else resolve(text);
    };
    const onData = (chunk: Buffer): void => {
      text += chunk.toString('utf8');
      if (pattern.test(text)) finish();
    };
    const onEnd = (): void =>
      finish(new Error(`the process ended without printing ${String(pattern)}; it printed: ${text}`));
    const timer = setTimeout(
      () => finish(new Error(`no ${String(pattern)} within ${timeoutMs} ms; printed so far: ${text}`)),
      timeoutMs,
    );
    stream.on('data', onData);
    stream.on('end', onEnd);
  });
}

/**
 * Resolves once `ready()` holds, looking again each time something in `dir` changes (a file
 * written, made or renamed there): tests wait on a journal or a state file instead of
 * sleeping. Fails at the deadline (a bound on a hang, not a wait).
 */
export function waitForChange(dir: string, ready: () => boolean, timeoutMs = 60_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const check = (): boolean => {
      if (!ready()) return false;
      finish();
      return true;
    };
    const watcher = fs.watch(dir, { persistent: false }, () => void check());
    const timer = setTimeout(
      () => finish(new Error(`nothing in ${dir} met the condition within ${timeoutMs} ms`)),
      timeoutMs,
    );
    function finish(error?: Error): void {
      clearTimeout(timer);
      watcher.close();
      if (error) reject(error);
      else resolve();
    }
    check();
  });
}
