import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CcmlabError } from '../core/errors';
import { runFleetEnroll, type EnrollRequest, type EnrollSummary } from '../fleet/enroll-fleet';
import { KeyCache, prepareKeyCache } from '../fleet/key-cache';
import { makeFleetKeys } from '../fleet/keys-fleet';
import { runningSitePid } from '../site/site-instance';
import { makeDirectory, readBoundedText } from '../store/files';
import { labAt, type Lab } from '../world/lab';
import type { BenchPart, BenchReport } from './bench-report';
import { runProgram } from './programs';

/**
 * The bench's fleet figures (issue 15): enroll_fresh, each client making its keys on the spot,
 * against keygen_limit; enroll_cached, keys from a cache, against a site running in another
 * process, against enroll_crypto_limit, with the CPU each side spends per enrollment.
 */

const round = (n: number): number => Number(n.toPrecision(4));

function fleetRequest(lab: Lab, count: number, concurrency: number, keyCache: string | undefined, labGiven: boolean): EnrollRequest {
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
  if (summary.failed > 0) throw new CcmlabError('CCMLAB_E_INTERNAL', `the bench's fleet had ${summary.failed} failed enrollments; see ${where}`);
  return summary;
}

/** enroll_fresh: in an embedded lab of the fleet's own in `dir` (a temporary dir, never a lab of the user's). */
export async function enrollFresh(dir: string, clients: number, report: BenchReport): Promise<BenchPart> {
  const lab = labAt(path.join(dir, 'fleet-fresh'));
  const summary = enrolledAll(await runFleetEnroll(fleetRequest(lab, clients, Math.max(2, 2 * os.availableParallelism()), undefined, false)), lab.root);
  const rate = summary.clientsPerSecond;
  return { figures: { enroll_fresh: round(rate) }, ratios: { enroll_fresh: round((2 * rate) / report.limits.keygen_limit) } };
}

/** `ccmlab ARGS` in the bench's lab, as a real process; any exit but 0 ends the step. */
async function ccmlab(args: string[], lab: Lab): Promise<void> {
  const result = await runProgram('ccmlab', args, lab.root);
  if (result.exit !== 0) throw new CcmlabError('CCMLAB_E_INTERNAL', `the bench's 'ccmlab ${args.join(' ')}' exited ${result.exit}: ${result.stderr.trim()}`);
}

/** CPU milliseconds a process has used, from /proc (Linux); undefined elsewhere. */
function processCpuMs(pid: number): number | undefined {
  try {
    const fields = readBoundedText(`/proc/${pid}/stat`, 4096, { label: 'process stat', code: 'CCMLAB_E_INTERNAL', fix: 'run the bench on Linux for the site CPU figure' }).split(') ')[1].split(' ');
    // utime and stime, fields 14 and 15 of stat (11 and 12 after the command), in clock ticks (100 a second on Linux).
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
  } catch {
    return undefined;
  }
}

/** The cache keeps `clients` clients' keys: made once, then kept between bench runs. */
async function fillKeyCache(keyCache: string, clients: number): Promise<void> {
  prepareKeyCache(keyCache);
  const ready = KeyCache.open(keyCache).countReady();
  if (ready < clients) await makeFleetKeys({ keyCache, count: clients - ready, oneKey: false, threads: Math.max(4, os.availableParallelism()) });
}

/**
 * enroll_cached: `clients` enrollments with cached keys (kept in `keyCache`, so only a bench's
 * first run pays for them) against `ccmlab site start` in another process, in a lab in `dir`.
 */
export async function enrollCached(dir: string, keyCache: string, clients: number, report: BenchReport): Promise<BenchPart> {
  await fillKeyCache(keyCache, clients);
  const lab = labAt(path.join(dir, 'fleet-cached'));
  makeDirectory(lab.root, { label: "bench's lab", code: 'CCMLAB_E_STATE_WRITE', fix: 'give the bench a writable temporary directory' });
  await ccmlab(['site', 'init', '--site-code', 'ABC', '--cmg-name', 'CONTOSO.CLOUDAPP.NET', '--role-id', '72186325152220500'], lab);
  await ccmlab(['site', 'start', '--detach'], lab);
  try {
    const sitePid = runningSitePid(lab.siteDir);
    if (sitePid === undefined) throw new CcmlabError('CCMLAB_E_INTERNAL', `the bench's site in ${lab.root} did not stay up`);
    const [siteBefore, clientBefore] = [processCpuMs(sitePid), process.cpuUsage()];
    const summary = enrolledAll(await runFleetEnroll(fleetRequest(lab, clients, 32, keyCache, true)), lab.root);
    const [siteAfter, client] = [processCpuMs(sitePid), process.cpuUsage(clientBefore)];
    const enrolled = Math.max(summary.enrolled, 1);
    const siteCpu: Record<string, number> = siteBefore !== undefined && siteAfter !== undefined ? { enroll_cached_site_cpu_ms: round((siteAfter - siteBefore) / enrolled) } : {};
    return {
      figures: { enroll_cached: round(summary.clientsPerSecond), ...siteCpu, enroll_cached_client_cpu_ms: round((client.user + client.system) / 1000 / enrolled) },
      ratios: { enroll_cached: round(summary.clientsPerSecond / report.limits.enroll_crypto_limit) },
    };
  } finally {
    await ccmlab(['site', 'stop'], lab).catch(() => undefined);
    fs.rmSync(lab.root, { recursive: true, force: true });
  }
}
