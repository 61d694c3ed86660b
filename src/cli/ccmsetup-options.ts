import * as os from 'node:os';
import yargs from 'yargs';
import { parseConnectTo, type ConnectTo } from '../core/connect-to';
import { CcmlabError } from '../core/errors';
import { netbiosOption } from '../core/netbios';
import { undeclaredOption } from './command-line';
import { SETUP_OPTIONS, valueOptions, type OptionTable } from './options';

/** The emulator's own double-dash options of a ccmsetup command line (ccmsetup-argv.ts splits them off), parsed by yargs. */

export interface EmulatorOptions {
  clientDir: string | undefined;
  logDir: string | undefined;
  connectTo: ConnectTo[];
  caFile: string | undefined;
  netbios: string;
  now: string | undefined;
  /** The lab the client is a machine of (--lab, env CCMLAB_LAB, default lab/). */
  lab: string | undefined;
  json: boolean;
  dryRun: boolean;
}

export function defaultNetbiosName(): string {
  const name = os
    .hostname()
    .split('.')[0]
    .toUpperCase()
    .replace(/[^A-Z0-9-]/g, '-')
    .slice(0, 15);
  return name === '' ? 'CLIENT01' : name;
}

const USAGE_HINT = "ccmsetup /? lists the emulator's --options";

export function parseEmulatorOptions(emulatorArgs: readonly string[]): EmulatorOptions {
  const unknown = undeclaredOption(emulatorArgs, [SETUP_OPTIONS]);
  if (unknown)
    throw new CcmlabError(
      'CCMLAB_E_BAD_OPTION',
      `${unknown.written} is not an emulator option${unknown.near ? ` (did you mean --${unknown.near}?)` : ''}; ${USAGE_HINT}`,
    );
  const parsed = yargs([...emulatorArgs])
    .parserConfiguration({ 'parse-numbers': false, 'parse-positional-numbers': false, 'boolean-negation': false })
    .options(SETUP_OPTIONS)
    .strict()
    .help(false)
    .version(false)
    .exitProcess(false)
    .fail((message: string) => {
      // What yargs still refuses itself (a missing value), as it wrote it.
      throw new CcmlabError('CCMLAB_E_BAD_OPTION', `${message.replace(/\n/g, ' ')} (${USAGE_HINT})`);
    })
    .parseSync();
  // yargs makes a list of a value given twice; only a list option (--connect-to) may be one.
  const table: OptionTable = SETUP_OPTIONS;
  for (const name of valueOptions(table)) {
    if (!table[name].array && Array.isArray(parsed[name]))
      throw new CcmlabError('CCMLAB_E_BAD_OPTION', `--${name} is given more than once; give it once`);
  }
  return {
    clientDir: parsed['client-dir'],
    logDir: parsed['log-dir'],
    connectTo: (parsed['connect-to'] ?? []).map(parseConnectTo),
    caFile: parsed['ca-file'],
    netbios: netbiosOption(parsed.netbios ?? defaultNetbiosName()),
    now: parsed.now,
    lab: parsed.lab,
    json: parsed.json ?? false,
    dryRun: parsed['dry-run'] ?? false,
  };
}
