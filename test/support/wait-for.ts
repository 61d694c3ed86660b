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
    const onEnd = (): void => finish(new Error(`the process ended without printing ${String(pattern)}; it printed: ${text}`));
    const timer = setTimeout(() => finish(new Error(`no ${String(pattern)} within ${timeoutMs} ms; printed so far: ${text}`)), timeoutMs);
    stream.on('data', onData);
    stream.on('end', onEnd);
  });
}
