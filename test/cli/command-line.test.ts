import { commandLineRefusal, undeclaredOption, writtenOptions, type DeclaredCommand } from '../../src/cli/command-line';
import { GLOBAL_OPTIONS } from '../../src/cli/options';

/** ccmlab's own checks of a command line, against what the command declares (pure). */

const ENROLL: DeclaredCommand = {
  path: 'fleet enroll',
  options: {
    concurrency: { type: 'string' },
    logs: { choices: ['all', 'failures', 'none'] },
    'fleet-dir': { type: 'string' },
    regtoken: { type: 'string' },
    'regtoken-file': { type: 'string' },
    guid: { type: 'string' },
  },
  positionals: ['guid'],
  conflicts: [['regtoken', 'regtoken-file']],
};
const refusal = (command: DeclaredCommand, tokens: string[], parsed: Record<string, unknown> = {}) =>
  commandLineRefusal('ccmlab', command, GLOBAL_OPTIONS, tokens, {
    _: tokens.filter((t) => !t.startsWith('-')),
    ...parsed,
  });

describe('the options written on a command line', () => {
  test('--name and --name=value by name, each letter of -abc; values, negative numbers, - and all after -- are not options', () => {
    expect(
      writtenOptions(['site', '--lab', 'x', '--now=-1d', '-hV', '-', '-12', '-1.5', '--', '--after']).map(
        (o) => o.written,
      ),
    ).toEqual(['--lab', '--now', '-h', '-V']);
  });
});

describe("a group's refusals", () => {
  const site: DeclaredCommand = { path: 'site', subcommands: ['init', 'show'] };
  const root: DeclaredCommand = { path: '', subcommands: ['site', 'scenario'] };
  test('no subcommand: name one, listed, with the usage hint', () => {
    expect(refusal(site, ['site', '--now=x'])).toBe('name a site command: init, show (ccmlab site --help shows usage)');
    expect(refusal(root, [])).toBe('name a command: site, scenario (ccmlab --help shows usage)');
  });
  test('an unknown one is named as a command: at the top with the nearest, below with the help that lists them', () => {
    expect(refusal(root, ['senario', 'list'])).toBe(
      "'senario' is not a ccmlab command (did you mean 'scenario'?); the commands are site, scenario",
    );
    expect(refusal(site, ['site', 'bogus'])).toBe(
      "'bogus' is not a 'ccmlab site' command; ccmlab site --help lists them",
    );
    expect(refusal(site, ['site', 'bo\ngus'])).toBe(
      "'bo\\ngus' is not a 'ccmlab site' command; ccmlab site --help lists them",
    );
  });
});

describe("a command's refusals", () => {
  test('an option it does not declare, with its nearest option (never a positional); global, help and version options are its own', () => {
    expect(refusal(ENROLL, ['fleet', 'enroll', '--concurency', '4'])).toBe(
      '--concurency is not an option here (did you mean --concurrency?); ccmlab fleet enroll --help shows usage',
    );
    expect(refusal(ENROLL, ['fleet', 'enroll', '--gui', 'x'])).toBe(
      '--gui is not an option here; ccmlab fleet enroll --help shows usage',
    );
    expect(refusal(ENROLL, ['fleet', 'enroll', '-x'])).toBe(
      '-x is not an option here; ccmlab fleet enroll --help shows usage',
    );
    expect(
      refusal(ENROLL, [
        'fleet',
        'enroll',
        '--lab',
        'l',
        '--now=2026-01-01T00:00:00Z',
        '--json',
        '-h',
        '--version',
        '-V',
      ]),
    ).toBeUndefined();
  });
  test("yargs' spellings of a declared option are that option: camel case, --no- before a name", () => {
    expect(refusal(ENROLL, ['fleet', 'enroll', '--fleetDir', 'd', '--no-json', '--noJson'])).toBeUndefined();
    expect(refusal(ENROLL, ['fleet', 'enroll', '--no-bogus'])).toMatch(/^--no-bogus is not an option here/);
  });
  test('a value not among the choices, with the choices; a positional is named without dashes', () => {
    expect(refusal(ENROLL, ['fleet', 'enroll'], { logs: 'bogus' })).toBe(
      '--logs "bogus" is not one of "all", "failures", "none"; ccmlab fleet enroll --help shows usage',
    );
    expect(refusal(ENROLL, ['fleet', 'enroll'], { logs: ['all', 'x\n'] })).toBe(
      '--logs "x\\n" is not one of "all", "failures", "none"; ccmlab fleet enroll --help shows usage',
    );
    const renew: DeclaredCommand = {
      path: 'site certs renew',
      options: { certificate: { choices: ['cmg'] } },
      positionals: ['certificate'],
    };
    expect(refusal(renew, ['site', 'certs', 'renew'], { certificate: 'bogus' })).toBe(
      'certificate "bogus" is not one of "cmg"; ccmlab site certs renew --help shows usage',
    );
    expect(refusal(ENROLL, ['fleet', 'enroll'], { logs: 'none' })).toBeUndefined();
  });
  test('two exclusive options given together', () => {
    expect(refusal(ENROLL, ['fleet', 'enroll'], { regtoken: 't', 'regtoken-file': 'f' })).toBe(
      'give --regtoken or --regtoken-file, not both; ccmlab fleet enroll --help shows usage',
    );
    expect(refusal(ENROLL, ['fleet', 'enroll'], { regtoken: 't' })).toBeUndefined();
  });
});

test("ccmsetup's emulator options: the first undeclared one, with the nearest declared", () => {
  const tables = [{ now: { type: 'string' }, 'dry-run': { type: 'boolean' } }] as const;
  expect(undeclaredOption(['--dry-run', '--nw', 'x'], tables)).toEqual({ written: '--nw', near: 'now' });
  expect(undeclaredOption(['--dry-run', '--now', 'x'], tables)).toBeUndefined();
});
