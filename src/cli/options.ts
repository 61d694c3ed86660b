import type { InferredOptionTypes, Options } from 'yargs';

/**
 * The options commands share, each declared once: an option table is handed to yargs as it
 * is (its types give the handler's arguments) and to the command line's own checks (names,
 * choices). A command that gives an option another meaning declares it with its own words.
 */

export type OptionTable = Readonly<Record<string, Options>>;

const LAB = {
  type: 'string',
  requiresArg: true,
  describe: 'the lab root (env CCMLAB_LAB; default lab/, logs in logs/)',
} as const;
const NOW = {
  type: 'string',
  requiresArg: true,
  describe: "start the clock at this ISO-8601 instant (also CCMLAB_NOW; default: the lab's clock)",
} as const;
const JSON_OUTPUT = { type: 'boolean', describe: 'print one JSON document on stdout' } as const;

/** The options of every ccmlab command (and of ccmsetup's emulator). */
export const GLOBAL_OPTIONS = {
  json: { ...JSON_OUTPUT, global: true },
  now: { ...NOW, global: true },
  lab: { ...LAB, global: true },
} as const satisfies OptionTable;

export type GlobalArgs = InferredOptionTypes<typeof GLOBAL_OPTIONS>;

/** Every site-side command: its site directory and site logs (cli/site-options.ts gives their defaults). */
export const SITE_OPTIONS = {
  'site-dir': {
    type: 'string',
    requiresArg: true,
    describe: 'the site directory (default <lab>/site; env CCMLAB_SITE_DIR)',
  },
  'log-dir': {
    type: 'string',
    requiresArg: true,
    describe: 'where site logs go (default logs/site, or <lab>/logs/site with --lab)',
  },
} as const satisfies OptionTable;

const CLIENT_DIR = {
  type: 'string',
  requiresArg: true,
  describe: 'the client dir (default lab/clients/<NETBIOS>)',
} as const;
const NETBIOS = {
  type: 'string',
  requiresArg: true,
  describe: "the computer name (default: this host's), for the default client dir",
} as const;
export const CONNECT_TO = {
  type: 'string',
  array: true,
  requiresArg: true,
  describe: 'HOST:PORT:ADDR:PORT2: reach HOST:PORT at ADDR:PORT2, TLS still checked for HOST (repeatable)',
} as const;
export const CA_FILE = { type: 'string', requiresArg: true, describe: 'a root certificate (PEM) to trust' } as const;

/** `ccmlab client …`: an installed client, which keeps its own logs, names and roots. */
export const CLIENT_OPTIONS = {
  'client-dir': CLIENT_DIR,
  netbios: NETBIOS,
  'log-dir': { type: 'string', requiresArg: true, describe: 'client logs (default: where the client keeps them)' },
  'connect-to': { ...CONNECT_TO, describe: `${CONNECT_TO.describe} (default: what the client keeps)` },
  'ca-file': { ...CA_FILE, describe: `${CA_FILE.describe} (default: what the client keeps)` },
} as const satisfies OptionTable;

/** The double-dash options ccmsetup's emulator takes after the real command line (ccmsetup-argv.ts). */
export const SETUP_OPTIONS = {
  'client-dir': CLIENT_DIR,
  netbios: NETBIOS,
  'log-dir': { type: 'string', requiresArg: true, describe: 'client logs (default <lab logs>/clients/<NETBIOS>)' },
  'connect-to': CONNECT_TO,
  'ca-file': CA_FILE,
  now: NOW,
  lab: LAB,
  json: JSON_OUTPUT,
  'dry-run': { type: 'boolean', describe: 'check the command line and print what it means; install nothing' },
} as const satisfies OptionTable;

/** The fleet commands' directory. */
export const FLEET_DIR_OPTION = {
  type: 'string',
  requiresArg: true,
  describe: 'the fleet directory (default <lab>/fleet)',
} as const;

/** The options of a table that take a value (all but booleans), as a parser that runs before yargs needs them. */
export function valueOptions(table: OptionTable): string[] {
  return Object.keys(table).filter((name) => table[name].type !== 'boolean');
}
