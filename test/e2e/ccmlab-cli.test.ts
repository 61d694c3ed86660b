import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { removeDir, tempDir } from '../support/paths';
import { runCli } from '../support/run-cli';
import { runCommand } from '../support/run-command';

let work: string;
beforeAll(() => {
  work = tempDir();
});
afterAll(() => removeDir(work));

describe('ccmlab command line (process)', () => {
  test('--help lists the commands and exits 0', async () => {
    const r = await runCommand('ccmlab', ['--help'], { cwd: work });
    expect(r.code).toBe(0);
    for (const name of ['log', 'site', 'client', 'demo', 'fleet']) expect(r.stdout).toContain(`ccmlab ${name}`);
  });

  test.each([
    [[], /name a command/],
    [['bogus'], /'bogus' is not a ccmlab command; the commands are site, clock/],
    [['site', 'tokens', 'block'], /Not enough non-option arguments/],
    [['client', 'roam', '--client-dir', 'x'], /say where the client goes: --internet or --intranet/],
    [
      ['client', 'roam', '--internet', '--intranet'],
      /give --internet or --intranet, not both; ccmlab client roam --help shows usage/,
    ],
    [['site', 'start', '--mp-port', '70000'], /--mp-port '70000' is not a port/],
  ])('usage errors exit 2 with one line: %p', async (args, message) => {
    const r = await runCommand('ccmlab', args, { cwd: work });
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^ccmlab: error CCMLAB_E_(USAGE|BAD_OPTION): /);
    expect(r.stderr).toMatch(message);
  });

  test('a client command without a client is a clear error (exit 1), as JSON with --json', async () => {
    const dir = path.join(work, 'no-client');
    const r = await runCommand('ccmlab', ['client', 'status', '--client-dir', dir], { cwd: work });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/CCMCLIENT_E_NO_STATE: no client is installed in .*no-client; install one with ccmsetup/);
    const json = await runCommand('ccmlab', ['client', 'start', '--client-dir', dir, '--json'], { cwd: work });
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout)).toMatchObject({ error: { code: 'CCMCLIENT_E_NO_STATE', exitCode: 1 } });
    expect(json.stderr).toBe('');
  });
});

// The bench measures its own process: it runs as one.
describe('ccmlab bench (process)', () => {
  test('--smoke runs every measurement; --json is one document of plain numbers: machine, figures, limits, ratios (no timing asserted)', async () => {
    // The bench sizes libuv's pool itself, as fleet enroll does (a size given in the environment would be kept).
    const r = await runCli('ccmlab', ['bench', '--smoke', '--json'], {
      cwd: work,
      timeoutMs: 140_000,
      env: { UV_THREADPOOL_SIZE: undefined },
    });
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as Record<string, Record<string, unknown>>;
    expect(Object.keys(report)).toEqual(['machine', 'figures', 'limits', 'ratios']);
    for (const part of Object.values(report))
      for (const value of Object.values(part))
        expect(typeof value === 'number' && Number.isFinite(value) && value > 0).toBe(true);
    expect(Object.keys(report.machine)).toEqual(['cpus', 'memory_mb', 'node_major']);
    const startup = [
      'startup_version',
      'startup_clock_show',
      'startup_client_status',
      'startup_ccmsetup_dry_run',
      'startup_token_tool',
    ];
    const measured = [...startup, 'log_write', 'token_verify', 'mp_request'];
    expect(Object.keys(report.limits)).toEqual([
      'keygen_limit',
      'enroll_crypto_limit',
      'enroll_wire_limit',
      ...measured,
    ]);
    const fleet = ['enroll_fresh', 'enroll_cached'];
    expect(Object.keys(report.figures)).toEqual(
      expect.arrayContaining([...fleet, 'enroll_cached_client_cpu_ms', ...measured]),
    );
    expect(Object.keys(report.ratios)).toEqual([...fleet, 'enroll_wire_limit', 'enroll_cached_of_wire', ...measured]);
    // enroll_cached: enrollments/s with cached keys over enroll_crypto_limit.
    expect(report.ratios.enroll_cached).toBeCloseTo(
      (report.figures.enroll_cached as number) / (report.limits.enroll_crypto_limit as number),
      2,
    );
    // The wire alone, over the RSA limit (the most enroll_cached's ratio can reach), and enroll_cached over the wire.
    expect(report.ratios.enroll_wire_limit).toBeCloseTo(
      (report.limits.enroll_wire_limit as number) / (report.limits.enroll_crypto_limit as number),
      2,
    );
    expect(report.ratios.enroll_cached_of_wire).toBeCloseTo(
      (report.figures.enroll_cached as number) / (report.limits.enroll_wire_limit as number),
      2,
    );
    for (const name of measured)
      expect(report.ratios[name]).toBeCloseTo((report.figures[name] as number) / (report.limits[name] as number), 2);
    // enroll_fresh: key pairs consumed per second (two a client) over keygen_limit, made on every core as
    // fleet keys and fleet enroll make them: libuv's pool of a thread a core, at least 4 (its threads counted as it started).
    expect(report.ratios.enroll_fresh).toBeCloseTo(
      (2 * (report.figures.enroll_fresh as number)) / (report.limits.keygen_limit as number),
      2,
    );
    expect(report.figures.enroll_fresh_threads).toBe(Math.max(4, os.availableParallelism()));
    expect(r.stderr.split('\n').filter(Boolean)).toEqual(
      [
        'key generation',
        'RSA operations of an enrollment',
        'fleet enrollment, fresh keys',
        'fleet enrollment, cached keys, site in another process',
        'the wire of an enrollment alone (TLS and six HTTPS requests), server in another process',
        'startup',
        'logging',
        'token verification',
        'MP requests',
      ].map((step) => `bench: ${step}`),
    );
  }, 150_000);

  test('--scale runs a fleet of each size with keys from --key-pool, which keeps them; a bad list is refused before anything runs', async () => {
    const pool = path.join(work, 'key-pool');
    const r = await runCli('ccmlab', ['bench', '--scale', '3,2', '--key-pool', pool, '--json'], {
      cwd: work,
      timeoutMs: 140_000,
    });
    expect(r.code).toBe(0);
    const scale = JSON.parse(r.stdout) as { machine: Record<string, number>; runs: Array<Record<string, number>> };
    expect(scale.runs.map((run) => run.clients)).toEqual([2, 3]);
    for (const run of scale.runs)
      for (const key of ['seconds', 'clientsPerSecond', 'peakRssMb', 'clientCpuMs'])
        expect(run[key]).toBeGreaterThan(0);
    expect(fs.readdirSync(path.join(pool, 'ready'))).toHaveLength(3);
    const bad = await runCommand('ccmlab', ['bench', '--scale', '100,0', '--key-pool', path.join(work, 'other-pool')], {
      cwd: work,
    });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--scale '100,0' is not a list of up to 20 fleet sizes/);
    expect(fs.existsSync(path.join(work, 'other-pool'))).toBe(false);
  }, 150_000);

  test('options the bench cannot honour are refused at once, and nothing is made (an empty pool or cache path, --lab, --smoke with --key-pool)', async () => {
    const cwd = path.join(work, 'refusals');
    fs.mkdirSync(cwd);
    const notPool = path.join(cwd, 'not-a-pool');
    fs.mkdirSync(notPool);
    fs.writeFileSync(path.join(notPool, 'notes.txt'), 'mine\n');
    const cases: Array<[string[], number, RegExp]> = [
      [['bench', '--key-pool', ''], 2, /CCMLAB_E_BAD_OPTION: --key-pool is empty; give the key cache's directory/],
      [['fleet', 'keys', '--count', '2', '--key-cache', ''], 2, /CCMLAB_E_BAD_OPTION: --key-cache is empty/],
      [['bench', '--key-pool', notPool], 1, /CCMLAB_E_KEY_CACHE: .*not-a-pool is not empty and is not a key cache/],
      [
        ['bench', '--lab', 'lab'],
        2,
        /CCMLAB_E_USAGE: bench makes labs of its own, on the system clock: --lab does nothing here/,
      ],
      [['bench', '--smoke', '--now', '2027-01-01T00:00:00Z'], 2, /--now does nothing here/],
      [['bench', '--smoke', '--key-pool', 'pool'], 2, /CCMLAB_E_USAGE: give --smoke or --key-pool, not both/],
    ];
    for (const [args, exit, message] of cases) {
      const r = await runCommand('ccmlab', args, { cwd });
      expect([args, r.code]).toEqual([args, exit]);
      expect(r.stderr).toMatch(message);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    }
    expect(fs.readdirSync(cwd)).toEqual(['not-a-pool']);
    expect(fs.readdirSync(notPool)).toEqual(['notes.txt']);
  }, 60_000);
});
