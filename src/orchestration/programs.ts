import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { packageRoot } from '../core/package-root';

/**
 * ccmlab's own programs run as real processes in a lab: scenario steps and the bench's site
 * in another process. Bounded in time and output.
 */

export type Program = 'ccmlab' | 'ccmsetup' | 'BulkRegistrationTokenTool';

const RUN_TIMEOUT_MS = 90_000;
const MAX_OUTPUT = 1024 * 1024;

/** The lab's environment: CCMLAB_LAB, and none of the caller's lab settings. */
function labEnvironmentFor(dir: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('CCMLAB_')) env[k] = v;
  return { ...env, CCMLAB_LAB: dir, NO_COLOR: '1' };
}

export interface ProgramResult {
  exit: number | null;
  stdout: string;
  stderr: string;
}

/** `program` with `args` in the lab rooted at `dir` (its cwd and CCMLAB_LAB), killed after `timeoutMs`. */
export function runProgram(
  program: Program,
  args: readonly string[],
  dir: string,
  timeoutMs = RUN_TIMEOUT_MS,
): Promise<ProgramResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(packageRoot(), 'bin', `${program}.js`), ...args], {
      cwd: dir,
      env: labEnvironmentFor(dir),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const out = { stdout: '', stderr: '' };
    const collect = (key: 'stdout' | 'stderr') => (chunk: Buffer) => {
      if (out[key].length < MAX_OUTPUT) out[key] += chunk.toString('utf8');
    };
    child.stdout.on('data', collect('stdout'));
    child.stderr.on('data', collect('stderr'));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (exit) => {
      clearTimeout(timer);
      resolve({ exit, ...out });
    });
  });
}
