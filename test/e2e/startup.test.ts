import * as fs from 'node:fs';
import * as path from 'node:path';
import { startupCommands, writeEnrolledClient } from '../../src/bench/bench-startup';
import { generateRsaKeyPair } from '../../src/pki/certificates';
import { removeDir, tempDir } from '../support/paths';
import { runCli } from '../support/run-cli';

/** Usage and version answer at once: they load none of the packages the real work needs. */

const HEAVY =
  /node_modules[\\/](winston|winston-transport|node-forge|undici|fast-xml-parser|yargs|better-sqlite3)[\\/]/;

let dir: string;
let probe: string;
beforeAll(() => {
  dir = tempDir();
  probe = path.join(dir, 'loaded-modules.js');
  // Preloaded: at exit, the files the process loaded, as the last line of stderr.
  fs.writeFileSync(
    probe,
    "process.on('exit', () => process.stderr.write(`\\n${JSON.stringify(Object.keys(require.cache))}\\n`));\n",
  );
});
afterAll(() => removeDir(dir));

test.each([['/?'], ['/help'], ['--help'], ['--version']])('ccmsetup %s loads no heavy package', async (arg) => {
  const r = await runCli('ccmsetup', [arg], { nodeArgs: ['--require', probe] });
  expect(r.code).toBe(0);
  const loaded = JSON.parse(r.stderr.trimEnd().split('\n').pop() as string) as string[];
  expect(loaded.some((file) => file.endsWith(path.join('dist', 'cli', 'ccmsetup-main.js')))).toBe(true);
  expect(loaded.filter((file) => HEAVY.test(file))).toEqual([]);
});

test('a real ccmsetup run still loads what it needs (a dry run parses its options)', async () => {
  const r = await runCli('ccmsetup', ['/mp:mp01', 'SMSSITECODE=ABC', '--dry-run', '--log-dir', dir], {
    nodeArgs: ['--require', probe],
  });
  expect(r.code).toBe(0);
  const loaded = JSON.parse(r.stderr.trimEnd().split('\n').pop() as string) as string[];
  expect(loaded.some((file) => /node_modules[\\/]yargs[\\/]/.test(file))).toBe(true);
});

/** What a ccmlab command must not load unless it is the command named: the roles and their packages. */
const ROLES =
  /(dist[\\/](site|client|orchestration|fleet|bench|scenarios|diagnose)[\\/])|node_modules[\\/](winston|node-forge|undici|fast-xml-parser|better-sqlite3)[\\/]/;

test.each([[['--version']], [['--help']], [['clock', 'show']], [['clock', '--help']]])(
  'ccmlab %p loads only the command it names',
  async (args) => {
    const r = await runCli('ccmlab', [...args, '--lab', dir], { nodeArgs: ['--require', probe] });
    expect(r.code).toBe(0);
    const loaded = JSON.parse(r.stderr.trimEnd().split('\n').pop() as string) as string[];
    expect(loaded.filter((file) => ROLES.test(file))).toEqual([]);
    expect(
      loaded.some((file) => /dist[\\/]cli[\\/]commands[\\/](site|client|fleet|bench|demo|scenario)\.js$/.test(file)),
    ).toBe(false);
  },
);

/** The packages that cost most to load, and the role modules (dist/<role>/<file>.js) that pull them in. */
const PACKAGES =
  /node_modules[\\/](yargs|winston|winston-transport|node-forge|undici|fast-xml-parser|better-sqlite3|cli-progress|re2js)[\\/]/;
const ROLE_MODULE = /dist[\\/]((?:site|client|orchestration|fleet|bench|scenarios|diagnose)[\\/][^\\/]+\.js)$/;

/**
 * What each command the bench times (bench-startup.ts) may load of those: what it uses, nothing
 * else. ccmlab parses its command line with yargs; ccmsetup parses its emulator options with
 * it and writes ccmsetup.log through winston; a status reads the client's files alone.
 */
const USES: Record<string, { packages: string[]; roles: string[] }> = {
  startup_version: { packages: ['yargs'], roles: [] },
  startup_clock_show: { packages: ['yargs'], roles: [] },
  startup_client_status: { packages: ['yargs'], roles: ['client/client-state.js'] },
  startup_ccmsetup_dry_run: {
    packages: ['yargs', 'winston', 'winston-transport'],
    roles: ['client/run-setup.js', 'client/setup-command.js', 'client/setup-log.js', 'client/setup-switches.js'],
  },
  startup_token_tool: { packages: [], roles: ['site/site-logs.js', 'site/token-lifetimes.js'] },
};

describe("the bench's startup commands load only what they use", () => {
  let lab: string;
  beforeAll(async () => {
    lab = path.join(dir, 'startup-lab');
    await writeEnrolledClient(lab, [await generateRsaKeyPair(), await generateRsaKeyPair()]);
  });

  test('the bench times the five commands this test reads', () => {
    expect(Object.keys(startupCommands(lab))).toEqual(Object.keys(USES));
  });

  test.each(Object.keys(USES))('%s', async (name) => {
    const [program, ...args] = startupCommands(lab)[name];
    const r = await runCli(program, args, { nodeArgs: ['--require', probe] });
    expect([r.code, r.stderr.slice(0, r.stderr.lastIndexOf('\n['))]).toEqual([0, '']);
    const loaded = JSON.parse(r.stderr.trimEnd().split('\n').pop() as string) as string[];
    const packages = new Set(loaded.map((file) => PACKAGES.exec(file)?.[1]).filter((p) => p !== undefined));
    const roles = loaded.map((file) => ROLE_MODULE.exec(file)?.[1]?.replace(/\\/g, '/')).filter((m) => m !== undefined);
    expect([...packages].filter((p) => !USES[name].packages.includes(p))).toEqual([]);
    expect(roles.filter((m) => !USES[name].roles.includes(m))).toEqual([]);
  });
});
