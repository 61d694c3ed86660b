import * as path from 'node:path';
import type { PhaseTimer } from './enroll';
import type { ClientIdentity, InstallResult } from './install';
import { parseSetupCommand, redactedCommandLine, type ParsedSetup, type SetupCommand } from './setup-command';
import { SetupLog } from './setup-log';
import type { Clock } from '../core/clock';
import type { ConnectTo } from '../core/connect-to';
import { toCcmlabError } from '../core/errors';
import { withLastWords } from '../core/last-words';
import type { StateStore } from '../store/state-store';
import type { NetworkEnvironment } from '../world/environment';

/**
 * One ccmsetup run, as `ccmsetup`, the demo and the fleet all run it: ccmsetup.log from
 * its first line to its last, the command line checked, then the install (or a dry run).
 */

/**
 * ccmsetup's settings: its command line as typed (parameters and properties, no emulator
 * options), or settings parsed and checked already (the fleet's, one set for all its clients).
 */
export type SetupSettings = { argv: readonly string[] } | { parsed: ParsedSetup };

export interface SetupRequest {
  settings: SetupSettings;
  netbios: string;
  clientDir: string;
  logDir: string;
  clock: Clock;
  /** Explicit --connect-to entries (kept by the client) and --ca-file. */
  connectTo: ConnectTo[];
  caFile: string | undefined;
  /** The lab's names and roots (empty outside a lab). */
  environment: NetworkEnvironment;
  dryRun: boolean;
  retryMs?: number;
  /** The fleet's: the identity of a client not yet installed, no logs at all, its store, phase timings. */
  identity?: ClientIdentity;
  writeLogs?: boolean;
  store?: StateStore;
  onPhase?: PhaseTimer;
}

export type SetupOutcome =
  | { kind: 'dry-run'; command: SetupCommand; logFile: string }
  | {
      kind: 'install';
      command: SetupCommand;
      result: InstallResult;
      clientDir: string;
      logDir: string;
      logFile: string;
    };

export async function runSetup(request: SetupRequest): Promise<SetupOutcome> {
  const setupLog = new SetupLog(request.logDir, request.clock, request.writeLogs !== false);
  const { settings } = request;
  setupLog.started(
    'argv' in settings ? redactedCommandLine(settings.argv) : settings.parsed.command.commandLine,
    request.netbios,
  );
  // Ended early (Ctrl+C, its output gone), ccmsetup.log still ends with the failure exit line.
  return withLastWords(
    (reason) => setupLog.refused(reason),
    () => setupRun(request, setupLog),
  );
}

async function setupRun(request: SetupRequest, setupLog: SetupLog): Promise<SetupOutcome> {
  try {
    const { settings } = request;
    const { command, regToken } = 'argv' in settings ? parseSetupCommand(settings.argv) : settings.parsed;
    setupLog.commandAccepted(command);
    if (request.dryRun) {
      setupLog.log.info('Dry run: the command line is valid; nothing was contacted or installed.');
      setupLog.exiting(0);
      return { kind: 'dry-run', command, logFile: setupLog.path };
    }
    // Loaded here: a dry run or a refused command line needs no transport, certificates or client state.
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the install is loaded when one runs
    const { install } = require('./install') as typeof import('./install');
    const result = await install({ ...request, command, regToken, setupLog });
    setupLog.exiting(0);
    return {
      kind: 'install',
      command,
      result,
      clientDir: path.resolve(request.clientDir),
      logDir: path.resolve(request.logDir),
      logFile: setupLog.path,
    };
  } catch (error) {
    const failure = toCcmlabError(error);
    setupLog.refused(failure);
    throw failure;
  } finally {
    await setupLog.log.close();
  }
}
