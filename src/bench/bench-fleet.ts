import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CcmlabError } from '../core/errors';
import { runFleetEnroll, type EnrollRequest, type EnrollSummary } from '../fleet/enroll-fleet';
import { KeyCache, prepareKeyCache } from '../fleet/key-cache';
import { makeFleetKeys } from '../fleet/keys-fleet';
import { runningSitePid } from '../site/site-instance';
import { removeTree } from '../store/file-writes';
import { makeDirectory, readBoundedText } from '../store/files';
import { labAt, type Lab } from '../world/lab';
import { round, type BenchPart, type BenchReport } from './bench-report';
import { runProgram } from '../orchestration/programs';

/**
 * The bench's fleet figures: enroll_fresh, each client making its keys on the spot,
 * against keygen_limit; enroll_cached, keys from a cache, against a site running in another
 * process, against enroll_crypto_limit, with the CPU each side spends per enrollment.
 */

function fleetRequest(
  lab: Lab,
  count: number,
  concurrency: number,
  keyCache: string | undefined,
  labGiven: boolean,
): EnrollRequest {
  return {
    count,
    concurrency,
    lab,
    labGiven,
    fleetDir: path.join(lab.root, 'fleet'),
    namePattern: undefined,
    keyCache,
    logs: 'none',
    regToken: undefined,
    regTokenFile: undefined,
    cmg: undefined,
    siteCode: undefined,
    connectTo: [],
    caFile: undefined,
    now: undefined,
  };
}

function enrolledAll(summary: EnrollSummary, where: string): EnrollSummary {
  if (summary.failed > 0)
    throw new CcmlabError(
      'CCMLAB_E_INTERNAL',
      `the bench's fleet had ${summary.failed} failed enrollments; see ${where}`,
    );
  return summary;
}

/** Threads of this process, from /proc (Linux); undefined elsewhere. */
function threadCount(): number | undefined {
  try {
    return fs.readdirSync('/proc/self/task').length;
  } catch {
    return undefined;
  }
}

/**
 * Starts libuv's thread pool and returns how many threads that started: the pool's size, which
 * enroll_fresh makes its keys on. The pool starts all its threads within the call that queues
 * its first task. Undefined where /proc is not, and when the pool had started already (its size
 * is then unknown).
 */
export async function startThreadPool(): Promise<number | undefined> {
  const before = threadCount();
  const firstTask = new Promise((resolve) => fs.stat(os.tmpdir(), resolve));
  const after = threadCount();
  await firstTask;
  return before !== undefined && after !== undefined && after > before ? after - before : undefined;
}

/**
 * enroll_fresh: in an embedded lab of the fleet's own in `dir` (a temporary dir, never a lab of
 * the user's), its keys made on libuv's pool of `threads` (as `fleet enroll` sets it: one a
 * core, at least 4), reported with it.
 */
export async function enrollFresh(
  dir: string,
  clients: number,
  report: BenchReport,
  threads: number | undefined,
): Promise<BenchPart> {
  const lab = labAt(path.join(dir, 'fleet-fresh'));
  const summary = enrolledAll(
    await runFleetEnroll(fleetRequest(lab, clients, Math.max(2, 2 * os.availableParallelism()), undefined, false)),
    lab.root,
  );
  const rate = summary.clientsPerSecond;
  return {
    figures: { enroll_fresh: round(rate), ...(threads !== undefined ? { enroll_fresh_threads: threads } : {}) },
    ratios: { enroll_fresh: round((2 * rate) / report.limits.keygen_limit) },
  };
}

/** `ccmlab ARGS` in the bench's lab, as a real process; any exit but 0 ends the step. */
async function ccmlab(args: string[], lab: Lab, timeoutMs?: number): Promise<string> {
  const result = await runProgram('ccmlab', args, lab.root, timeoutMs);
  if (result.exit !== 0)
    throw new CcmlabError(
      'CCMLAB_E_INTERNAL',
      `the bench's 'ccmlab ${args.join(' ')}' exited ${result.exit}: ${result.stderr.trim().slice(-2000)}`,
    );
  return result.stdout;
}

/** CPU milliseconds a process has used, from /proc (Linux); undefined elsewhere. */
export function processCpuMs(pid: number): number | undefined {
  try {
    const fields = readBoundedText(`/proc/${pid}/stat`, 4096, {
      label: 'process stat',
      code: 'CCMLAB_E_INTERNAL',
      fix: 'run the bench on Linux for the site CPU figure',
    })
      .split(') ')[1]
      .split(' ');
    // utime and stime, fields 14 and 15 of stat (11 and 12 after the command), in clock ticks (100 a second on Linux).
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
  } catch {
    return undefined;
  }
}

/** The pool holds keys for at least `clients` clients: made by the first run that needs them (said to `making`), then kept. */
export async function fillKeyPool(
  pool: string,
  clients: number,
  making: (count: number) => void = () => undefined,
): Promise<KeyCache> {
  prepareKeyCache(pool, '--key-pool');
  const ready = KeyCache.open(pool).countReady();
  if (ready < clients) {
    making(clients - ready);
    await makeFleetKeys({
      keyCache: pool,
      count: clients - ready,
      oneKey: false,
      threads: Math.max(4, os.availableParallelism()),
    });
  }
  return KeyCache.open(pool);
}

/** One fleet with cached keys, as a user runs it: what it measured. */
export interface CachedRun {
  clients: number;
  seconds: number;
  clientsPerSecond: number;
  peakRssMb: number;
  clientCpuMs: number;
  /** Undefined where /proc is not (the site's CPU is read there). */
  siteCpuMs: number | undefined;
}

/** Long enough for the slowest machine the bench expects: 5 clients a second, and never under a minute and a half. */
const BENCH_LAB = {
  label: "bench's lab",
  code: 'CCMLAB_E_STATE_WRITE',
  fix: 'give the bench a writable temporary directory',
} as const;
const fleetTimeoutMs = (clients: number): number => Math.max(90_000, clients * 200);

/**
 * `clients` enrollments with keys copied from `pool`: `ccmlab site start` and `ccmlab fleet
 * enroll --json` each a process of its own, in a new lab in `dir` that is removed after (so
 * the pool's keys may serve the next run: no site that saw them is left).
 */
export async function enrollCachedRun(
  dir: string,
  pool: KeyCache,
  clients: number,
  concurrency = 32,
): Promise<CachedRun> {
  const lab = labAt(path.join(dir, `fleet-cached-${clients}`));
  makeDirectory(lab.root, BENCH_LAB);
  try {
    const keyCache = path.join(lab.root, 'key-cache');
    pool.copyTo(keyCache, clients);
    await ccmlab(
      ['site', 'init', '--site-code', 'ABC', '--cmg-name', 'CONTOSO.CLOUDAPP.NET', '--role-id', '72186325152220500'],
      lab,
    );
    await ccmlab(['site', 'start', '--detach'], lab);
    try {
      const sitePid = runningSitePid(lab.siteDir);
      if (sitePid === undefined)
        throw new CcmlabError('CCMLAB_E_INTERNAL', `the bench's site in ${lab.root} did not stay up`);
      const siteBefore = processCpuMs(sitePid);
      const args = [
        'fleet',
        'enroll',
        '--count',
        String(clients),
        '--concurrency',
        String(concurrency),
        '--key-cache',
        keyCache,
        '--logs',
        'none',
        '--json',
      ];
      const summary = enrolledAll(
        JSON.parse(await ccmlab(args, lab, fleetTimeoutMs(clients))) as EnrollSummary,
        lab.root,
      );
      const siteAfter = processCpuMs(sitePid);
      const enrolled = Math.max(summary.enrolled, 1);
      return {
        clients,
        seconds: summary.seconds,
        clientsPerSecond: summary.clientsPerSecond,
        peakRssMb: summary.peakRssMb,
        clientCpuMs: summary.cpuMsPerClient ?? 0,
        siteCpuMs:
          siteBefore !== undefined && siteAfter !== undefined ? round((siteAfter - siteBefore) / enrolled) : undefined,
      };
    } finally {
      await ccmlab(['site', 'stop'], lab).catch(() => undefined);
    }
  } finally {
    removeTree(lab.root, BENCH_LAB);
  }
}

/** enroll_cached: `clients` enrollments with keys from the pool kept in `poolDir` (only a bench's first run pays for them). */
export async function enrollCached(
  dir: string,
  poolDir: string,
  clients: number,
  report: BenchReport,
): Promise<BenchPart> {
  const run = await enrollCachedRun(dir, await fillKeyPool(poolDir, clients), clients);
  return {
    figures: {
      enroll_cached: round(run.clientsPerSecond),
      ...(run.siteCpuMs !== undefined ? { enroll_cached_site_cpu_ms: run.siteCpuMs } : {}),
      enroll_cached_client_cpu_ms: run.clientCpuMs,
    },
    ratios: { enroll_cached: round(run.clientsPerSecond / report.limits.enroll_crypto_limit) },
  };
}
