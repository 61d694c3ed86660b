import { spawn, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import { ROOT } from './paths';

export interface SiteProcess {
  child: ChildProcess;
  ready: { mp: string; mpHttps: string; cmg: string };
  stop(): Promise<void>;
}

/** `ccmlab site start --json` as a real process, ready once it prints its URLs on stdout. */
export function startSiteProcess(
  args: readonly string[],
  options: { cwd: string; nodeArgs?: string[] },
): Promise<SiteProcess> {
  const child = spawn(
    process.execPath,
    [...(options.nodeArgs ?? []), path.join(ROOT, 'bin', 'ccmlab.js'), 'site', 'start', '--json', ...args],
    { cwd: options.cwd, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
  };
  return new Promise((resolve, reject) => {
    let stdout = '';
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdout?.on('data', (d: Buffer) => {
      stdout += d.toString();
      try {
        resolve({ child, ready: JSON.parse(stdout) as SiteProcess['ready'], stop });
      } catch {
        // The JSON document is not complete yet.
      }
    });
    child.once('exit', (code) => reject(new Error(`site start exited ${code}: ${stderr}`)));
  });
}
