import * as os from 'node:os';
import yargs from 'yargs';
import { parseConnectTo, type ConnectTo } from '../core/connect-to';
import { CcmlabError } from '../core/errors';
import { netbiosOption } from '../core/netbios';

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
  const name = os.hostname().split('.')[0].toUpperCase().replace(/[^A-Z0-9-]/g, '-').slice(0, 15);
  return name === '' ? 'CLIENT01' : name;
}

export function parseEmulatorOptions(emulatorArgs: readonly string[]): EmulatorOptions {
  const parsed = yargs([...emulatorArgs])
    .parserConfiguration({ 'parse-numbers': false, 'parse-positional-numbers': false, 'boolean-negation': false })
    .options({
      'client-dir': { type: 'string', requiresArg: true },
      'log-dir': { type: 'string', requiresArg: true },
      'connect-to': { type: 'string', array: true, requiresArg: true },
      'ca-file': { type: 'string', requiresArg: true },
      netbios: { type: 'string', requiresArg: true },
      now: { type: 'string', requiresArg: true },
      lab: { type: 'string', requiresArg: true },
      json: { type: 'boolean' },
      'dry-run': { type: 'boolean' },
    })
    .strict()
    .help(false)
    .version(false)
    .exitProcess(false)
    .fail((message: string) => {
      throw new CcmlabError('CCMLAB_E_BAD_OPTION', `${message.replace(/\n/g, ' ')} (ccmsetup /? lists the emulator's --options)`);
    })
    .parseSync();
  for (const name of ['client-dir', 'log-dir', 'ca-file', 'netbios', 'now', 'lab'] as const) {
    const value = parsed[name];
    if (Array.isArray(value)) throw new CcmlabError('CCMLAB_E_BAD_OPTION', `--${name} is given more than once; give it once`);
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
