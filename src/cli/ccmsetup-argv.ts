/**
 * Splits a ccmsetup argv into the real command line (`/name:value`, `NAME=value`) and the
 * emulator's own double-dash options (ccmsetup-options.ts). Real switches never start with
 * `--`, so the two cannot collide.
 */

const VALUE_OPTIONS = new Set(['client-dir', 'log-dir', 'connect-to', 'ca-file', 'netbios', 'now', 'lab']);

export function splitArgv(argv: readonly string[]): { setupArgs: string[]; emulatorArgs: string[] } {
  const setupArgs: string[] = [];
  const emulatorArgs: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith('--')) {
      setupArgs.push(arg);
      continue;
    }
    emulatorArgs.push(arg);
    if (VALUE_OPTIONS.has(arg.slice(2)) && i + 1 < argv.length) emulatorArgs.push(argv[++i]);
  }
  return { setupArgs, emulatorArgs };
}
