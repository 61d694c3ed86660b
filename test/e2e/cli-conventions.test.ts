import * as fs from 'node:fs';
import * as path from 'node:path';
import { listFiles, removeDir, ROOT, tempDir } from '../support/paths';
import { runCli } from '../support/run-cli';
import { runCommand } from '../support/run-command';

/** What every command shares: --version and -V, help pages with examples (--help and -h), one usage hint. */

const VERSION = (JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;

let work: string;
beforeEach(() => {
  work = tempDir();
});
afterEach(() => removeDir(work));

/** The example commands of a help page: the lines under "Examples:" that start with `program`. */
function examples(help: string, program: string): string[] {
  const section = help.split('\nExamples:\n')[1] ?? '';
  return section
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line.startsWith(`${program} `) || line === program);
}

/** The subcommand paths a ccmlab help page lists under "Commands:". */
function subcommands(help: string): string[] {
  const section = help.split('\nCommands:\n')[1]?.split('\n\n')[0] ?? '';
  return section
    .split('\n')
    .map((line) => /^ {2}ccmlab((?: [a-z-]+)+)/.exec(line)?.[1].trim())
    .filter((p): p is string => p !== undefined);
}

describe('--version', () => {
  test.each([
    ['ccmlab', `ccmlab ${VERSION}`],
    ['ccmsetup', `ccmsetup ${VERSION} (emulated client version 5.00.9128.1000)`],
    ['BulkRegistrationTokenTool', `BulkRegistrationTokenTool ${VERSION}`],
  ] as const)('%s --version prints %p, exits 0 and writes nothing', async (name, line) => {
    const r = await runCli(name, ['--version'], { cwd: work });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`${line}\n`);
    expect(r.stderr).toBe('');
    expect(listFiles(work)).toEqual([]);
  });
});

describe('-h and -V', () => {
  // The program, a group, a command, a subcommand of a subcommand, one with positionals, the demo.
  test.each([[''], ['site'], ['site tokens'], ['site tokens block'], ['clock set'], ['log show'], ['demo']])(
    'ccmlab %s: -h prints the --help page and -V the version, exit 0, nothing written',
    async (page) => {
      const words = page.split(' ').filter(Boolean);
      const [long, short, version] = await Promise.all(
        [['--help'], ['-h'], ['-V']].map((flag) => runCommand('ccmlab', [...words, ...flag], { cwd: work })),
      );
      expect([short.code, short.stderr]).toEqual([0, '']);
      expect(short.stdout).toBe(long.stdout);
      expect(short.stdout).toMatch(new RegExp(`^ccmlab ${page}`.trim()));
      expect(short.stdout).toMatch(/^ {2}-h, --help .*\n {2}-V, --version /m);
      expect([version.code, version.stdout, version.stderr]).toEqual([0, `ccmlab ${VERSION}\n`, '']);
      expect(listFiles(work)).toEqual([]);
    },
  );

  test.each([
    ['ccmsetup', /^Usage: ccmsetup /, `ccmsetup ${VERSION} (emulated client version 5.00.9128.1000)\n`],
    ['BulkRegistrationTokenTool', /^Usage: BulkRegistrationTokenTool /, `BulkRegistrationTokenTool ${VERSION}\n`],
  ] as const)('%s -h prints its usage and -V its version, exit 0, nothing written', async (name, usage, line) => {
    const [help, version] = await Promise.all([
      runCommand(name, ['-h'], { cwd: work }),
      runCommand(name, ['-V'], { cwd: work }),
    ]);
    expect([help.code, help.stderr]).toEqual([0, '']);
    expect(help.stdout).toMatch(usage);
    expect([version.code, version.stdout, version.stderr]).toEqual([0, line, '']);
    expect(listFiles(work)).toEqual([]);
  });
});

describe('help pages', () => {
  test('every ccmlab help page, commands and subcommands, shows two or three examples of itself', async () => {
    const seen: string[] = [];
    const wrong: Array<{ page: string; code: number | null; examples: string[] }> = [];
    let level = [''];
    while (level.length > 0) {
      const pages = await Promise.all(
        level.map(async (page) => ({
          page,
          r: await runCommand('ccmlab', [...page.split(' ').filter(Boolean), '--help'], { cwd: work }),
        })),
      );
      level = [];
      for (const { page, r } of pages) {
        seen.push(page);
        const shown = examples(r.stdout, 'ccmlab');
        const ofThisPage = shown.every((example) => example.startsWith(`ccmlab ${page}`.trim()));
        if (r.code !== 0 || shown.length < 2 || shown.length > 3 || !ofThisPage)
          wrong.push({ page, code: r.code, examples: shown });
        level.push(...subcommands(r.stdout).filter((s) => !seen.includes(s)));
      }
    }
    expect(wrong).toEqual([]);
    // The walk reached the leaves: commands, subcommands and sub-subcommands.
    expect(seen).toEqual(
      expect.arrayContaining([
        'demo',
        'bench',
        'site init',
        'site tokens block',
        'site clock set',
        'site clients list',
        'client status',
        'log show',
      ]),
    );
    expect(seen.length).toBeGreaterThanOrEqual(29);
  });

  test.each([['/?'], ['--help']])('ccmsetup %s shows two or three examples', async (arg) => {
    const r = await runCommand('ccmsetup', [arg], { cwd: work });
    expect(r.code).toBe(0);
    const shown = examples(r.stdout, 'ccmsetup');
    expect(shown.length).toBeGreaterThanOrEqual(2);
    expect(shown.length).toBeLessThanOrEqual(3);
  });

  test.each([['/?'], ['/help'], ['/HELP'], ['--help'], ['/new', '/?']])(
    'BulkRegistrationTokenTool %s prints its usage with examples and exits 0',
    async (...args) => {
      const r = await runCommand('BulkRegistrationTokenTool', args, { cwd: work });
      expect(r.code).toBe(0);
      expect(r.stderr).toBe('');
      expect(r.stdout).toMatch(/^Usage: BulkRegistrationTokenTool \/new \[\/lifetime <minutes>\]/);
      expect(examples(r.stdout, 'BulkRegistrationTokenTool')).toHaveLength(3);
      expect(listFiles(work)).toEqual([]);
    },
  );
});

describe('usage hints', () => {
  test('a mistyped command is named as a command, with the nearest one; a missing log path is asked for', async () => {
    const typo = await runCommand('ccmlab', ['senario', 'list']);
    expect([typo.code, typo.stdout]).toEqual([2, '']);
    expect(typo.stderr).toBe(
      "ccmlab: error CCMLAB_E_USAGE: 'senario' is not a ccmlab command (did you mean 'scenario'?); the commands are site, clock, lab, client, log, scenario, demo, fleet, bench\n",
    );
    const noPath = await runCommand('ccmlab', ['log', 'diagnose']);
    expect([noPath.code, noPath.stderr]).toEqual([
      2,
      'ccmlab: error CCMLAB_E_USAGE: name the logs to read: one or more log files or folders (ccmlab log diagnose --help shows usage)\n',
    ]);
  });

  test('a mistyped option is named with the nearest option of that command; a bad choice lists the choices; an unknown subcommand is named as one', async () => {
    const option = await runCommand('ccmlab', ['fleet', 'enroll', '--count', '3', '--concurency', '4'], { cwd: work });
    expect([option.code, option.stderr]).toEqual([
      2,
      'ccmlab: error CCMLAB_E_USAGE: --concurency is not an option here (did you mean --concurrency?); ccmlab fleet enroll --help shows usage\n',
    ]);
    const choice = await runCommand('ccmlab', ['fleet', 'enroll', '--count', '3', '--logs', 'bogus'], { cwd: work });
    expect([choice.code, choice.stderr]).toEqual([
      2,
      'ccmlab: error CCMLAB_E_USAGE: --logs "bogus" is not one of "all", "failures", "none"; ccmlab fleet enroll --help shows usage\n',
    ]);
    const sub = await runCommand('ccmlab', ['site', 'bogus'], { cwd: work });
    expect([sub.code, sub.stderr]).toEqual([
      2,
      "ccmlab: error CCMLAB_E_USAGE: 'bogus' is not a 'ccmlab site' command; ccmlab site --help lists them\n",
    ]);
    expect(fs.existsSync(path.join(work, 'lab', 'fleet'))).toBe(false);
  });

  test('bare ccmlab prints one line with one usage hint and exits 2', async () => {
    const r = await runCommand('ccmlab', [], { cwd: work });
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(
      'ccmlab: error CCMLAB_E_USAGE: name a command: site, clock, lab, client, log, scenario, demo, fleet, bench (ccmlab --help shows usage)\n',
    );
    expect(r.stderr.match(/--help/g)).toHaveLength(1);
  });
});

describe('counts with units', () => {
  test('log show says "1 block", not "1 block(s)"', async () => {
    const file = path.join(work, 'mixed.log');
    const record =
      '<![LOG[hello]LOG]!><time="10:00:00.000+00" date="01-15-2026" component="Test" context="" type="1" thread="1" file="t">';
    fs.writeFileSync(file, `not a record\r\n${record}\r\n`);
    const r = await runCommand('ccmlab', ['log', 'show', file], { cwd: work });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('hello');
    expect(r.stderr).toBe('ccmlab: skipped 1 block of text that is not CMTrace\n');
  });
});
