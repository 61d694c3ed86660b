import { CcmlabError, toCcmlabError } from '../core/errors';
import { sayLastWords } from '../core/last-words';
import { redactTokens } from '../core/secrets';
import { escapeControl } from '../core/text';
import { closeAllLogs, closeLogsOpenedSince, openLogs } from '../log/open-logs';

/**
 * The one exit path of every command: map an error to its exit code, report it on
 * stderr (or as one JSON document on stdout with --json), close every log so each
 * line is on disk, let stdout drain, then exit. It owns uncaughtException and
 * unhandledRejection, and nothing (a log that will not close, a stream that will not
 * drain) can keep it from exiting: each step is bounded.
 */

/** How long closing the logs and draining stdout/stderr may take before the process exits anyway. */
const CLOSE_LOGS_MS = 3_000;
const DRAIN_MS = 5_000;

export interface ProgramInfo {
  name: string;
  /** Maps a ccmlab exit code to the program's own (ccmsetup returns only 0, 6, 7, 8, 9, 10). */
  mapExitCode?: (code: number) => number;
}

export function wantsJson(argv: readonly string[]): boolean {
  return argv.includes('--json');
}

/** Resolves when `work` settles or after `ms`, whichever comes first; never rejects. */
function bounded(work: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)));
  return Promise.race([
    work.then(
      () => undefined,
      () => undefined,
    ),
    deadline,
  ]).finally(() => clearTimeout(timer));
}

function drain(stream: NodeJS.WriteStream): Promise<void> {
  return new Promise((resolve) => {
    if (stream.writableLength === 0) resolve();
    else stream.write('', () => resolve());
  });
}

export function reportError(program: ProgramInfo, error: CcmlabError, json: boolean): number {
  const exitCode = program.mapExitCode ? program.mapExitCode(error.exitCode) : error.exitCode;
  // One line, and never a token, whatever the user typed into the value the message quotes.
  const message = escapeControl(redactTokens(error.message));
  if (json) {
    process.stdout.write(`${redactTokens(JSON.stringify({ error: { ...error.toJSON(), message, exitCode } }))}\n`);
  } else {
    process.stderr.write(`${program.name}: error ${error.code}: ${message}\n`);
  }
  if (process.env.CCMLAB_DEBUG && error.code === 'CCMLAB_E_INTERNAL' && error.cause instanceof Error) {
    process.stderr.write(`${error.cause.stack ?? error.cause.message}\n`);
  }
  return exitCode;
}

let exiting: { code: number } | undefined;
/** The program runMain runs, for the exit path's own report. */
let running: ProgramInfo = { name: 'ccmlab' };

/** Closes the logs and drains the output, each bounded, then exits; a second call only raises the exit code. */
async function finish(exitCode: number): Promise<void> {
  if (exiting) {
    exiting.code ||= exitCode;
    return;
  }
  exiting = { code: exitCode };
  await bounded(closeAllLogs(), CLOSE_LOGS_MS);
  await bounded(Promise.all([drain(process.stdout), drain(process.stderr)]), DRAIN_MS);
  // A write that failed (EPIPE) may be reported a turn later: wait that turn, so output that was lost is never exit 0.
  await new Promise((resolve) => setImmediate(resolve));
  const outputError = process.stdout.errored ?? process.stderr.errored;
  if (outputError) onOutputError(running, outputError);
  process.exit(exiting.code);
}

/**
 * Ends the process now, for a command that cannot go on: its pending last words said (logs
 * are written synchronously, so they are on disk), its error reported where that can still
 * be done, its locks released by their exit handlers.
 */
function endNow(program: ProgramInfo, error: CcmlabError, report: boolean): never {
  sayLastWords(error);
  let exitCode = program.mapExitCode ? program.mapExitCode(error.exitCode) : error.exitCode;
  if (report) {
    try {
      exitCode = reportError(program, error, wantsJson(process.argv.slice(2)));
    } catch {
      // Nothing more can be said.
    }
  }
  process.exit(exitCode);
}

/** A stream of ours that fails (EPIPE: its reader went away): nothing more can be said there, so the command ends. */
function onOutputError(program: ProgramInfo, error: NodeJS.ErrnoException): never {
  return endNow(
    program,
    new CcmlabError(
      'CCMLAB_E_OUTPUT_CLOSED',
      `the output was closed while the command ran (${error.code ?? error.message})`,
    ),
    false,
  );
}

/** Ctrl+C or SIGTERM: a command that stops gracefully listens for it itself; any other ends now, saying so. */
function onSignal(program: ProgramInfo, signal: 'SIGINT' | 'SIGTERM'): void {
  if (process.listenerCount(signal) > 1) return;
  const what = signal === 'SIGINT' ? 'cancelled (Ctrl+C)' : 'stopped (SIGTERM)';
  endNow(
    program,
    new CcmlabError(
      'CCMLAB_E_CANCELLED',
      `${program.name} was ${what} before it finished; run it again to finish the work`,
      {
        // The log's words: no host signal name, no advice.
        logText: `${program.name} was ${signal === 'SIGINT' ? 'cancelled' : 'stopped'} before it finished`,
      },
    ),
    true,
  );
}

/**
 * A main() still pending once the event loop has nothing left to run can never settle (it waits
 * on a promise no event will settle): Node would exit 0 with nothing said. It is a failure.
 */
function failIfAbandoned(program: ProgramInfo, settled: () => boolean): void {
  process.once('beforeExit', () => {
    if (!settled())
      endNow(
        program,
        toCcmlabError(
          new Error('the command stopped before it finished: it was waiting for something that can no longer happen'),
        ),
        true,
      );
  });
}

/**
 * A command run to its exit code, without touching the process: an error reported (stderr, or
 * one JSON document on stdout with --json) and mapped to its code, every log it opened closed
 * (bounded; a log of the process's that was open before it is not the command's to close).
 * runMain's core, and what the tests' in-process harness runs.
 */
export async function completeCommand(
  program: ProgramInfo,
  argv: readonly string[],
  main: () => Promise<number>,
): Promise<number> {
  const openBefore = openLogs();
  let exitCode: number;
  try {
    exitCode = await main();
  } catch (error) {
    exitCode = reportError(program, toCcmlabError(error), wantsJson(argv));
  }
  await bounded(closeLogsOpenedSince(openBefore), CLOSE_LOGS_MS);
  return exitCode;
}

/** Runs a program's main as this process's one command: owns its signals, uncaught errors, output failures and exit. */
export async function runMain(
  program: ProgramInfo,
  argv: readonly string[],
  main: (argv: readonly string[]) => Promise<number>,
): Promise<void> {
  running = program;
  // Any failure of our own output ends the command (it would otherwise fail again on every write).
  process.stdout.on('error', (error: NodeJS.ErrnoException) => onOutputError(program, error));
  process.stderr.on('error', (error: NodeJS.ErrnoException) => onOutputError(program, error));
  process.on('SIGINT', () => onSignal(program, 'SIGINT'));
  process.on('SIGTERM', () => onSignal(program, 'SIGTERM'));
  const fail = (error: unknown): number => reportError(program, toCcmlabError(error), wantsJson(argv));
  process.on('uncaughtException', (error) => void finish(fail(error)));
  process.on('unhandledRejection', (reason) => void finish(fail(reason)));
  let settled = false;
  failIfAbandoned(program, () => settled);
  const exitCode = await completeCommand(program, argv, () => main(argv));
  settled = true;
  await finish(exitCode);
}
