import * as path from 'node:path';
import { removeDir, tempDir } from '../support/paths';
import { runCli } from '../support/run-cli';

let work: string;
beforeAll(() => {
  work = tempDir();
});
afterAll(() => removeDir(work));

describe('ccmlab command line (process)', () => {
  test('--help lists the commands and exits 0', async () => {
    const r = await runCli('ccmlab', ['--help'], { cwd: work });
    expect(r.code).toBe(0);
    for (const name of ['log', 'site', 'client', 'demo', 'fleet']) expect(r.stdout).toContain(`ccmlab ${name}`);
  });

  test.each([
    [[], /name a command/],
    [['bogus'], /Unknown argument: bogus/],
    [['site', 'tokens', 'block'], /Not enough non-option arguments/],
    [['client', 'roam', '--client-dir', 'x'], /say where the client goes: --internet or --intranet/],
    [['client', 'roam', '--internet', '--intranet'], /mutually exclusive/],
    [['site', 'start', '--mp-port', '70000'], /--mp-port '70000' is not a port/],
  ])('usage errors exit 2 with one line: %p', async (args, message) => {
    const r = await runCli('ccmlab', args, { cwd: work });
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^ccmlab: error CCMLAB_E_(USAGE|BAD_OPTION): /);
    expect(r.stderr).toMatch(message);
  });

  test('a client command without a client is a clear error (exit 1), as JSON with --json', async () => {
    const dir = path.join(work, 'no-client');
    const r = await runCli('ccmlab', ['client', 'status', '--client-dir', dir], { cwd: work });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/CCMCLIENT_E_NO_STATE: no client is installed in .*no-client; install one with ccmsetup/);
    const json = await runCli('ccmlab', ['client', 'start', '--client-dir', dir, '--json'], { cwd: work });
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout)).toMatchObject({ error: { code: 'CCMCLIENT_E_NO_STATE', exitCode: 1 } });
    expect(json.stderr).toBe('');
  });
});

describe('ccmlab bench (process)', () => {
  test('--smoke runs every bounded measurement and reports value, limit and ratio (no timing asserted)', async () => {
    const r = await runCli('ccmlab', ['bench', '--smoke', '--json'], { cwd: work });
    expect(r.code).toBe(0);
    const { results } = JSON.parse(r.stdout) as { results: Array<{ name: string; value: number; limit: number; ratio: number }> };
    expect(results.map((m) => m.name)).toEqual([
      'CMTrace logger (winston, rollover)',
      'bulk token verification (all checks)',
      'MP location request (MPLIST, logged)',
      expect.stringMatching(/^client enrollment through the CMG/),
    ]);
    for (const m of results) {
      expect(m.value).toBeGreaterThan(0);
      expect(m.limit).toBeGreaterThan(0);
      expect(m.ratio).toBeCloseTo(m.value / m.limit, 2);
    }
  }, 150_000);
});
