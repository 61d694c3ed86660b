import * as fs from 'node:fs';
import * as path from 'node:path';
import { emulatorWordsIn } from '../support/emulator-words';
import { removeDir, tempDir } from '../support/paths';
import { runCommand } from '../support/run-command';

/**
 * `ccmlab scenario list|run` as a trainer uses it: each run a fresh lab of its own, its
 * expected lines checked, an ANSWER.md left, and `log diagnose` naming the failure from the
 * logs it left. (`scenario run --all` runs every scenario the same way; it is run by hand.)
 */

let out: string;
beforeAll(() => {
  out = tempDir();
});
afterAll(() => removeDir(out));

test('scenario list --json is an array of {name, title}, one per catalogue folder', async () => {
  const r = await runCommand('ccmlab', ['scenario', 'list', '--json']);
  expect(r.code).toBe(0);
  const list = JSON.parse(r.stdout) as Array<Record<string, unknown>>;
  expect(list.length).toBe(18);
  expect(Object.keys(list[0]).sort()).toEqual(['name', 'title']);
  expect(list.map((s) => s.name)).toEqual(
    expect.arrayContaining(['bulk-token-expired', 'cmg-connector-client-cert-required', 'crl-unreachable']),
  );
});

test('an unknown name is refused with the nearest one, and nothing is run', async () => {
  const r = await runCommand('ccmlab', ['scenario', 'run', 'bulk-token-expird', '--out', out]);
  expect(r.code).toBe(2);
  expect(r.stderr).toMatch(
    /CCMLAB_E_UNKNOWN_SCENARIO: 'bulk-token-expird' is not a scenario \(did you mean 'bulk-token-expired'\?\)/,
  );
  expect(fs.readdirSync(out)).toEqual([]);
});

test('a failure and a success run, pass, leave their answer keys, and diagnose as themselves', async () => {
  const r = await runCommand(
    'ccmlab',
    ['scenario', 'run', 'bulk-token-expired', 'bulk-token-success', '--out', out, '--json'],
    { timeoutMs: 180_000 },
  );
  expect(r.stderr).toMatch(/running bulk-token-expired/);
  expect(r.code).toBe(0);
  const result = JSON.parse(r.stdout) as {
    passed: number;
    failed: number;
    scenarios: Array<{ name: string; ok: boolean; expectations: Array<{ ok: boolean }> }>;
  };
  expect([result.passed, result.failed]).toEqual([2, 0]);
  const answer = fs.readFileSync(path.join(out, 'bulk-token-expired', 'ANSWER.md'), 'utf8');
  expect(answer).toMatch(/^# /);
  expect(answer).toMatch(
    /\| logs\/clients\/CLIENT01\/ccmsetup\.log \| \d+ \| `\[CCMHTTP\] ERROR INFO: StatusCode=401 StatusText=CMGService_Invalid_Token` \|/,
  );
  expect(answer).toMatch(/IDX10223: Lifetime validation failed\. The token is expired\./);
  expect(answer).toContain('BulkRegistrationTokenTool /new');
  // The answer key and the transcript hold no token.
  for (const file of ['ANSWER.md', 'transcript.txt'])
    expect(fs.readFileSync(path.join(out, 'bulk-token-expired', file), 'utf8')).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}\./);
  const failed = await runCommand('ccmlab', [
    'log',
    'diagnose',
    path.join(out, 'bulk-token-expired', 'logs'),
    '--json',
  ]);
  expect(failed.code).toBe(1);
  expect((JSON.parse(failed.stdout) as { findings: Array<{ id: string }> }).findings.map((f) => f.id)).toEqual([
    'bulk-token-expired',
  ]);
  const fine = await runCommand('ccmlab', ['log', 'diagnose', path.join(out, 'bulk-token-success', 'logs'), '--json']);
  expect([fine.code, fine.stdout.trim()]).toEqual([0, JSON.stringify({ findings: [] }, null, 2)]);
  // Every log of both runs (client and site, the token tool's, a failure's) reads as a Windows machine's.
  expect(emulatorWordsIn(out)).toEqual([]);
}, 200_000);

test('a rerun replaces its own folder, but never a folder that is not a scenario run', async () => {
  const foreign = path.join(out, 'crl-unreachable');
  fs.mkdirSync(foreign, { recursive: true });
  fs.writeFileSync(path.join(foreign, 'keep.txt'), 'mine');
  const r = await runCommand('ccmlab', ['scenario', 'run', 'crl-unreachable', '--out', out]);
  expect(r.code).toBe(1);
  expect(r.stderr).toMatch(/CCMLAB_E_SCENARIO_DIR: .*crl-unreachable exists and is not a scenario run's folder/);
  expect(fs.readFileSync(path.join(foreign, 'keep.txt'), 'utf8')).toBe('mine');
});
