import { CcmlabError, isCcmlabError } from '../core/errors';
import { redactTokens } from '../core/secrets';
import { escapeControl } from '../core/text';
import { closeAllLogs } from '../log/logger';

/**
 * The one exit path of every command: map an error to its exit code, report it on
 * stderr (or as one JSON document on stdout with --json), close every log so each
 * line is on disk, let stdout drain, then exit.
 */

export interface ProgramInfo {
  name: string;
  /** Maps a ccmlab exit code to the program's own (ccmsetup returns only 0, 6, 7, 8, 9, 10). */
  mapExitCode?: (code: number) => number;
}

export function toCcmlabError(error: unknown): CcmlabError {
  if (isCcmlabError(error)) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new CcmlabError('CCMLAB_E_INTERNAL', `internal error: ${message} (run again with CCMLAB_DEBUG=1 for details, and report it)`, {
    cause: error,
  });
}

export function wantsJson(argv: readonly string[]): boolean {
  return argv.includes('--json');
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

export async function runMain(program: ProgramInfo, main: () => Promise<number>): Promise<void> {
  // A reader that went away (`| head`) is not an error of ours.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(0);
  });
  let exitCode: number;
  try {
    exitCode = await main();
  } catch (error) {
    exitCode = reportError(program, toCcmlabError(error), wantsJson(process.argv.slice(2)));
  }
  await closeAllLogs();
  await Promise.all([drain(process.stdout), drain(process.stderr)]);
  process.exit(exitCode);
}
