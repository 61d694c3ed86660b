import { asksForUsage } from '../client/setup-command';
import { AGENT_VERSION } from '../protocol/agent-version';
import { splitArgv } from './ccmsetup-argv';
import { HELP_ALIAS, VERSION_ALIAS } from './command-line';
import { ccmsetupUsage } from './ccmsetup-usage';
import type { ProgramInfo } from './exit';
import { versionLine } from './version';

/** ccmsetup's documented return codes; anything else it reports is 6 (error). */
const CCMSETUP_RETURN_CODES = new Set([0, 6, 7, 8, 9, 10]);

export async function main(argv: readonly string[]): Promise<number> {
  const { setupArgs, emulatorArgs } = splitArgv(argv);
  if (emulatorArgs.includes('--version') || emulatorArgs.includes(`-${VERSION_ALIAS}`)) {
    process.stdout.write(`${versionLine('ccmsetup')} (emulated client version ${AGENT_VERSION})\n`);
    return 0;
  }
  if (asksForUsage(setupArgs) || emulatorArgs.includes('--help') || emulatorArgs.includes(`-${HELP_ALIAS}`)) {
    process.stdout.write(ccmsetupUsage());
    return 0;
  }
  // Loaded here, not above: usage and version answer without loading the client.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { runCcmsetup } = require('./ccmsetup-run') as typeof import('./ccmsetup-run');
  return runCcmsetup(setupArgs, emulatorArgs);
}

export const program: ProgramInfo = {
  name: 'ccmsetup',
  mapExitCode: (code) => (CCMSETUP_RETURN_CODES.has(code) ? code : 6),
};
