import { HELP_ALIAS, VERSION_ALIAS } from './command-line';
import { SETUP_OPTIONS, valueOptions } from './options';

/**
 * Splits a ccmsetup argv into the real command line (`/name:value`, `NAME=value`) and the
 * emulator's own double-dash options (SETUP_OPTIONS), with -h and -V. Real switches start
 * with `/` and properties are NAME=value, so the two cannot collide.
 */

const VALUE_OPTIONS = new Set(valueOptions(SETUP_OPTIONS));
const SHORT_FLAGS = [`-${HELP_ALIAS}`, `-${VERSION_ALIAS}`];

export function splitArgv(argv: readonly string[]): { setupArgs: string[]; emulatorArgs: string[] } {
  const setupArgs: string[] = [];
  const emulatorArgs: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith('--') && !SHORT_FLAGS.includes(arg)) {
      setupArgs.push(arg);
      continue;
    }
    emulatorArgs.push(arg);
    if (VALUE_OPTIONS.has(arg.slice(2)) && i + 1 < argv.length) emulatorArgs.push(argv[++i]);
  }
  return { setupArgs, emulatorArgs };
}
