import * as path from 'node:path';
import type { Clock } from '../core/clock';
import { formatHresult, type CcmlabError } from '../core/errors';
import { printable } from '../core/text';
import { CLIENT_LOG_DEFAULTS, CmLog } from '../log/logger';
import { AGENT_VERSION } from '../protocol/agent-version';
import { LAUNCH_FOLDER, runningOnLine, windowsProcessId } from '../world/windows-machine';
import type { SetupCommand } from './setup-command';

/** The client version this ccmsetup installs, as `CcmSetup version:` names it (5.0.x, not 5.00.x). */
const SETUP_VERSION = AGENT_VERSION.replace(/^5\.00\./, '5.0.');

/** What ccmsetup passes to client.msi unless the command line says otherwise (REAL ccmsetup.log). */
const MSI_DEFAULTS: Readonly<Record<string, string>> = {
  CCMFIRSTCERT: '1',
  CCMHTTPPORT: '80',
  CCMHTTPSCERTNAME: '',
  CCMHTTPSPORT: '443',
  CCMHTTPSSTATE: '224',
};

/**
 * The `MSI properties:` line as REAL writes it: the defaults ccmsetup adds and the properties
 * given, in alphabetical order, each `NAME="value"`.
 */
export function msiPropertiesLine(properties: Readonly<Record<string, string>>): string {
  const all: Record<string, string> = { ...MSI_DEFAULTS };
  for (const [name, value] of Object.entries(properties)) all[name.toUpperCase()] = value;
  return Object.keys(all)
    .sort()
    .map((name) => `${name}="${printable(all[name], 1024)}"`)
    .join(' ');
}

/** ccmsetup.log, in the shape of the real one from its first line to its last. */
export class SetupLog {
  readonly log: CmLog;

  /** `enabled` false writes nothing (ccmlab fleet --logs none). */
  constructor(logDir: string, clock: Clock, enabled = true) {
    // ccmsetup.log is ccmsetup's own: the client.msi logging properties do not apply to it.
    this.log = new CmLog({
      dir: logDir,
      name: 'ccmsetup',
      rollover: 'history',
      settings: { ...CLIENT_LOG_DEFAULTS, enabled },
      clock,
      source: 'ccmsetup.cpp',
    });
  }

  get path(): string {
    return path.resolve(this.log.path);
  }

  /** The opening lines of REAL (CONTENT-PHASE.md 1.1), on the emulated Windows machine `netbios`. */
  started(commandLine: string, netbios: string): void {
    // file= values of the real 5.0.8458 ccmsetup.log (LOG-LINES.md, CONTENT-PHASE.md 1.1).
    this.log.info(
      `==========[ ccmsetup started in process ${windowsProcessId(process.pid)} ]==========`,
      'ccmsetup.cpp:9498',
    );
    this.log.info(`Launch from folder ${LAUNCH_FOLDER}`, 'ccmsetup.cpp:627');
    this.log.info(`CcmSetup version: ${SETUP_VERSION}`, 'ccmsetup.cpp:633');
    this.log.info(runningOnLine(netbios), 'util.cpp:2075');
    // Two spaces, as REAL writes it: the program, then the raw rest of the command line.
    this.log.info(`Ccmsetup command line: ccmsetup.exe  ${commandLine}`.trimEnd(), 'ccmsetup.cpp:3813');
  }

  commandAccepted(command: SetupCommand): void {
    this.log.info(
      'Command line parameters for ccmsetup have been specified.  No registry lookup for command line parameters is required.',
    );
    for (const warning of command.warnings) this.log.warn(warning);
    // The real lines' padding (REAL ccmsetup.log): `Retry time:` and `SiteCode:` align their values.
    const retry = command.parameters.retry;
    this.log.info(`Retry time:       ${typeof retry === 'string' ? retry : '10'} minute(s)`);
    this.log.info(`MSI properties:    ${msiPropertiesLine(command.properties)}`);
    if (command.mp.length > 0) {
      this.log.info('MPs:');
      for (const mp of command.mp) this.log.info(`    ${mp.url}`);
    }
    if (command.cmg) this.log.info(`Internet MP (CCMHOSTNAME): ${command.cmg.url}`);
    if (command.siteCode) this.log.info(`SiteCode:         ${command.siteCode}`);
    if (command.regToken)
      this.log.info('A bulk registration token was given (/regtoken); it is not stored on this client.');
    this.log.info(`Setup mode: ${command.mode}`);
  }

  /** A failure: its own line where the product's words for it are known (never the terminal's message), then the exit line. */
  refused(error: CcmlabError): void {
    if (error.logText !== undefined) this.log.error(error.logText);
    // The real exit line is type 1 even when setup failed.
    this.log.info(`CcmSetup failed with error code ${formatHresult(error.hresult)}`, 'ccmsetup.cpp:10711');
  }

  exiting(returnCode: number): void {
    this.log.info(`CcmSetup is exiting with return code ${returnCode}`, 'ccmsetup.cpp:10707');
  }
}
