import { systemClock, type Clock } from '../core/clock';
import { logTextOf, toCcmlabError } from '../core/errors';
import { printable } from '../core/text';
import type { CmLog } from '../log/logger';
import { openSiteLog } from '../site/site-logs';
import { labAt } from '../world/lab';
import { commandClock } from '../world/lab-clock';
import type { ProgramInfo } from './exit';
import { peekOption } from './peek-option';
import { parseTokenToolArgs, tokenToolUsage, toolArguments } from './token-tool-args';
import { versionLine } from './version';

export async function main(argv: readonly string[]): Promise<number> {
  let logDir = peekOption(argv, 'log-dir') ?? labAt(peekOption(argv, 'lab')).siteLogDir;
  let clock: Clock = systemClock;
  let opened: CmLog | undefined;
  const log = (): CmLog =>
    (opened ??= openSiteLog(logDir, 'BulkRegistrationTokenTool', clock, 'BulkRegistrationTokenTool.cs'));
  try {
    const args = parseTokenToolArgs(argv);
    logDir = args.logDir;
    clock = commandClock(args.now, args.inLab ? labAt(args.lab) : undefined);
    if (args.action !== 'new') {
      process.stdout.write(
        args.action === 'usage' ? tokenToolUsage() : `${versionLine('BulkRegistrationTokenTool')}\n`,
      );
      return 0;
    }
    // A log that cannot be written refuses the run before a token exists.
    log();
    // Loaded here, not above: usage and version answer without opening a site.
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the site is loaded when a token is issued
    const { issueAndPrint } = require('./token-tool-run') as typeof import('./token-tool-run');
    issueAndPrint(args, clock, log());
    return 0;
  } catch (error) {
    const failure = toCcmlabError(error);
    // The log states the failure in the tool's words (the terminal's message carries the fix and the emulator's options).
    const commandLine = printable(['BulkRegistrationTokenTool', ...toolArguments(argv)].join(' '), 1024);
    log().error(`${commandLine} failed: ${logTextOf(failure)}`);
    throw failure;
  }
}

export const program: ProgramInfo = { name: 'BulkRegistrationTokenTool' };
