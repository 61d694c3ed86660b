import * as fs from 'node:fs';
import * as path from 'node:path';
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
