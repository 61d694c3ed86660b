import { CcmlabError } from '../core/errors';
import { nearest } from '../core/text';
import { DEFAULT_LIFETIME_MINUTES, MAX_BULK_LIFETIME_MINUTES as MAX_LIFETIME_MINUTES } from '../site/token-lifetimes';
import { labAt, labInUse } from '../world/lab';
import { HELP_ALIAS, VERSION_ALIAS } from './command-line';

/**
 * BulkRegistrationTokenTool's command line: `/new`, `/lifetime <minutes>` (or
 * `/lifetime:<minutes>`), `/?` (or `/help`), in any order and any case; plus the
 * emulator's own `--lab`, `--site-dir`, `--log-dir`, `--now`, `--json`, `--help` (-h), `--version` (-V).
 */

export interface TokenToolArgs {
  action: 'new' | 'usage' | 'version';
  lifetimeMinutes: number;
  siteDir: string;
  logDir: string;
  lab: string | undefined;
  /** False for a site given by --site-dir (or CCMLAB_SITE_DIR) outside a named lab: the machine's clock then. */
  inLab: boolean;
  now: string | undefined;
  json: boolean;
}

const SWITCHES = ['new', 'lifetime', '?', 'help'];
const OPTIONS = ['site-dir', 'log-dir', 'lab', 'now'];
const FLAGS = ['json', 'help', 'version'];
/** The tool's own switches start with '/', so -h and -V collide with none. */
const SHORT_FLAGS: ReadonlyMap<string, string> = new Map([
  [`-${HELP_ALIAS}`, 'help'],
  [`-${VERSION_ALIAS}`, 'version'],
]);

function usageError(message: string): never {
  throw new CcmlabError('BRTT_E_USAGE', message);
}

export function parseLifetime(text: string | undefined): number {
  if (text === undefined || text === '') {
    throw new CcmlabError(
      'BRTT_E_BAD_LIFETIME',
      `/lifetime needs a number of minutes: /lifetime ${DEFAULT_LIFETIME_MINUTES} (1 to ${MAX_LIFETIME_MINUTES})`,
      { logText: '/lifetime needs a number of minutes' },
    );
  }
  if (!/^\d+$/.test(text)) {
    throw new CcmlabError(
      'BRTT_E_BAD_LIFETIME',
      `/lifetime ${text} is not a whole number of minutes; give 1 to ${MAX_LIFETIME_MINUTES} (default ${DEFAULT_LIFETIME_MINUTES}, 3 days)`,
      { logText: `/lifetime ${text} is not a whole number of minutes` },
    );
  }
  const minutes = Number(text);
  if (minutes < 1 || minutes > MAX_LIFETIME_MINUTES) {
    throw new CcmlabError(
      'BRTT_E_BAD_LIFETIME',
      `/lifetime ${text} is out of range; give 1 to ${MAX_LIFETIME_MINUTES} minutes (${MAX_LIFETIME_MINUTES} is 7 days, the maximum)`,
      { logText: `/lifetime ${text} is out of range` },
    );
  }
  return minutes;
}

/** `--name value`, `--name=value` or a `--flag` at argv[i]; returns how many arguments it took. */
function parseDoubleDash(
  argv: readonly string[],
  i: number,
  options: Record<string, string>,
  flags: Set<string>,
): number {
  const [name, inline] = argv[i].slice(2).split(/=(.*)/s, 2);
  if (FLAGS.includes(name)) {
    if (inline !== undefined) usageError(`--${name} takes no value`);
    flags.add(name);
    return 1;
  }
  if (!OPTIONS.includes(name))
    usageError(
      `'--${name}' is not an option; the emulator options are --lab, --site-dir, --log-dir, --now, --json, --help (-h) and --version (-V)`,
    );
  const value = inline ?? argv[i + 1];
  if (value === undefined || value === '') usageError(`--${name} needs a value`);
  options[name] = value;
  return inline === undefined ? 2 : 1;
}

/** The tool's own arguments, as its log records the command line: the emulator's --options, their values, -h and -V left out. */
export function toolArguments(argv: readonly string[]): string[] {
  const own: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg.startsWith('--')) {
      const [name, inline] = arg.slice(2).split(/=(.*)/s, 2);
      if (OPTIONS.includes(name) && inline === undefined) i++;
    } else if (!SHORT_FLAGS.has(arg)) own.push(arg);
  }
  return own;
}

export function parseTokenToolArgs(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): TokenToolArgs {
  let sawNew = false;
  let lifetimeText: string | undefined;
  let sawLifetime = false;
  const options: Record<string, string> = {};
  const flags = new Set<string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg.startsWith('--')) {
      i += parseDoubleDash(argv, i, options, flags) - 1;
      continue;
    }
    const short = SHORT_FLAGS.get(arg);
    if (short !== undefined) {
      flags.add(short);
      continue;
    }
    if (!arg.startsWith('/'))
      usageError(`'${arg}' is not a parameter; the tool takes /new [/lifetime <minutes>] or /?`);
    const colon = arg.indexOf(':');
    const name = (colon < 0 ? arg.slice(1) : arg.slice(1, colon)).toLowerCase();
    const inline = colon < 0 ? undefined : arg.slice(colon + 1);
    if (name === '?' || name === 'help') {
      flags.add('help');
    } else if (name === 'new') {
      if (inline !== undefined) usageError('/new takes no value; write /new /lifetime <minutes>');
      sawNew = true;
    } else if (name === 'lifetime') {
      if (sawLifetime) usageError('/lifetime is given more than once; give it once');
      sawLifetime = true;
      if (inline !== undefined) lifetimeText = inline;
      else if (i + 1 < argv.length && !argv[i + 1].startsWith('/') && !argv[i + 1].startsWith('--'))
        lifetimeText = argv[++i];
    } else {
      const suggestion = nearest(name, SWITCHES);
      usageError(
        `'${arg}' is not a parameter of BulkRegistrationTokenTool${suggestion ? `; did you mean /${suggestion}?` : ''} (/? shows usage)`,
      );
    }
  }
  const lab = labAt(options.lab, env);
  const common = {
    siteDir: options['site-dir'] ?? (env.CCMLAB_SITE_DIR || lab.siteDir),
    logDir: options['log-dir'] ?? lab.siteLogDir,
    lab: options.lab,
    inLab: labInUse(options.lab, options['site-dir'] !== undefined || Boolean(env.CCMLAB_SITE_DIR), env) !== undefined,
    now: options.now,
    json: flags.has('json'),
  };
  if (flags.has('help')) return { action: 'usage', lifetimeMinutes: DEFAULT_LIFETIME_MINUTES, ...common };
  if (flags.has('version')) return { action: 'version', lifetimeMinutes: DEFAULT_LIFETIME_MINUTES, ...common };
  if (!sawNew) {
    if (sawLifetime)
      usageError(
        `/lifetime only works with /new: run BulkRegistrationTokenTool /new /lifetime ${lifetimeText && /^\d+$/.test(lifetimeText) ? lifetimeText : DEFAULT_LIFETIME_MINUTES}`,
      );
    usageError('no action given: run BulkRegistrationTokenTool /new to create a token (/? shows usage)');
  }
  return {
    action: 'new',
    lifetimeMinutes: sawLifetime ? parseLifetime(lifetimeText) : DEFAULT_LIFETIME_MINUTES,
    ...common,
  };
}

export function tokenToolUsage(): string {
  return [
    'Usage: BulkRegistrationTokenTool /new [/lifetime <minutes>] [--json]',
    '       BulkRegistrationTokenTool /?',
    '',
    '  /?         show this usage (also /help, --help, -h)',
    '  /new       create a new bulk registration token',
    `  /lifetime  with /new: how long the token is valid, in whole minutes (default ${DEFAULT_LIFETIME_MINUTES}, 3 days; maximum ${MAX_LIFETIME_MINUTES}, 7 days)`,
    '',
    'The tool prints the GUID the site tracks the token by, its validity and the token.',
    'The token is stored neither on the site nor on the client: copy it and keep it safe.',
    '',
    'Emulator options: --lab DIR (env CCMLAB_LAB, default lab), --site-dir DIR (env CCMLAB_SITE_DIR,',
    'default <lab>/site), --log-dir DIR (default logs/site, or <lab>/logs/site with --lab),',
    "--now ISO-8601 (env CCMLAB_NOW; default: the lab's clock, or the machine's for a --site-dir outside",
    'a named lab), --version (-V), and --json: print',
    '{"guid", "validFrom", "validTo", "lifetimeMinutes", "token"} (times ISO-8601 UTC) instead.',
    '',
    'Examples:',
    '  # a token valid for 3 days, from the site in lab/site',
    '  BulkRegistrationTokenTool /new',
    '  # a token valid for an hour, from the site in lab/demo/site',
    '  BulkRegistrationTokenTool /new /lifetime 60 --site-dir lab/demo/site',
    '  # the same as JSON, for a script',
    '  BulkRegistrationTokenTool /new /lifetime 60 --json',
    '',
  ].join('\n');
}
