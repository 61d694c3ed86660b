import type { ProgramInfo } from '../../src/cli/exit';
import { completeCommand } from '../../src/cli/exit';
import { runCli, type CliResult } from './run-cli';
import { ROOT } from './paths';

/**
 * A command for a test where the process boundary is not what is tested: run inside the
 * test's own process, from the TypeScript source (never a stale build), through the same
 * main and the same exit-code path (completeCommand) as bin/NAME.js, with its cwd,
 * environment, stdout and stderr the test's for the run. A command whose process is its
 * behaviour (a site or agent that runs until a signal, --detach, --follow, stdin) runs as a
 * real process (run-cli.ts), as do tests of signals, exit codes as a shell sees them and ready
 * lines, which call runCli themselves.
 *
 * In-process runs are serialized: the working directory, environment and output streams are
 * the process's.
 */

type Program = 'ccmlab' | 'ccmsetup' | 'BulkRegistrationTokenTool';
interface MainModule {
  program: ProgramInfo;
  main(argv: readonly string[]): Promise<number>;
}

/* eslint-disable @typescript-eslint/no-require-imports -- a program's module is loaded when a test first runs it */
const MODULES: Record<Program, () => MainModule> = {
  ccmlab: () => require('../../src/cli/ccmlab-main') as MainModule,
  ccmsetup: () => require('../../src/cli/ccmsetup-main') as MainModule,
  BulkRegistrationTokenTool: () => require('../../src/cli/BulkRegistrationTokenTool-main') as MainModule,
};
/* eslint-enable @typescript-eslint/no-require-imports */

type Write = typeof process.stdout.write;

/** Replaces a stream's write with one that appends to `sink`; returns the restore. */
function capture(stream: NodeJS.WriteStream, sink: (text: string) => void): () => void {
  const original = stream.write;
  stream.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
    sink(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
    const done = rest.find((r): r is () => void => typeof r === 'function');
    if (done) process.nextTick(done);
    return true;
  }) as Write;
  return () => {
    stream.write = original;
  };
}

/** Sets `changes` in process.env (undefined deletes); returns the restore of the whole environment as it was. */
function setEnv(changes: NodeJS.ProcessEnv): () => void {
  const before = { ...process.env };
  const apply = (values: NodeJS.ProcessEnv) => {
    for (const [key, value] of Object.entries(values)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  };
  apply(changes);
  return () => {
    // A command may set variables of its own (the fleet sizes libuv's pool): none outlives the run.
    for (const key of Object.keys(process.env)) if (!(key in before)) delete process.env[key];
    apply(before);
  };
}

async function runOnce(
  name: Program,
  args: readonly string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv },
): Promise<CliResult> {
  const { program, main } = MODULES[name]();
  let stdout = '';
  let stderr = '';
  const cwd = process.cwd();
  const restores = [
    setEnv({ NO_COLOR: '1', ...options.env }),
    capture(process.stdout, (t) => (stdout += t)),
    capture(process.stderr, (t) => (stderr += t)),
  ];
  try {
    process.chdir(options.cwd ?? ROOT);
    const code = await completeCommand(program, args, () => main(args));
    return { code, stdout, stderr };
  } finally {
    process.chdir(cwd);
    for (const restore of restores.reverse()) restore();
  }
}

/** Whether a run needs a process of its own: it runs until a signal, leaves a process behind, reads stdin or takes Node options. */
function needsOwnProcess(
  name: Program,
  args: readonly string[],
  options: NonNullable<Parameters<typeof runCli>[2]>,
): boolean {
  const words = args.filter((a) => !a.startsWith('-'));
  const runsOn = name === 'ccmlab' && ['site start', 'client run'].includes(words.slice(0, 2).join(' '));
  const ownProcess = options.input !== undefined || options.nodeArgs !== undefined;
  return runsOn || args.includes('--detach') || args.includes('--follow') || ownProcess;
}

let queue: Promise<unknown> = Promise.resolve();

/** Runs `name args` (see above); resolves with its exit code and output. */
export function runCommand(
  name: Program,
  args: readonly string[],
  options: Parameters<typeof runCli>[2] = {},
): Promise<CliResult> {
  if (needsOwnProcess(name, args, options)) return runCli(name, args, options);
  // In process, the test's own timeout bounds the run.
  const run = queue.then(() => runOnce(name, args, options));
  queue = run.catch(() => undefined);
  return run;
}
