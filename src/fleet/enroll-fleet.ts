import * as path from 'node:path';
import type { ConnectTo } from '../core/connect-to';
import { CcmlabError, toCcmlabError } from '../core/errors';
import { redactTokens } from '../core/secrets';
import { countOf, printable } from '../core/text';
import { startEmbeddedSite, type EmbeddedSite } from '../orchestration/embedded-lab';
import { removeEmptyDirs } from '../store/files';
import { GroupSync } from '../store/group-sync';
import { labEnvironment } from '../world/environment';
import type { Lab } from '../world/lab';
import { hasIdentity } from './client-identity';
import { enrollClient, type ClientRun, type EnrolledClient, type LogsMode } from './enroll-client';
import { fleetLayout, lockFleet, makeFleetDir, openFleet, refuseFleetLinks } from './fleet-dir';
import { JOURNAL_FILE, JournalWriter, pendingClients, replayJournal, type PhaseMs, type Replay } from './journal';
import { KeyCache, ownerOf } from './key-cache';
import { checkNames, DEFAULT_NAME_PATTERN, nameAt, parseNamePattern, type NamePattern } from './names';
import { runPool, type Outcome, type PoolRun, type ProgressSink } from './pool';
import { FleetStatistics, type StatisticsSummary } from './statistics';
import { aimFleet, clientSettings, issueLabToken, type FleetMode, type Target } from './target';

/**
 * `ccmlab fleet enroll`: many clients at once, each a full enrollment through ccmsetup's own
 * path, against a lab's running site, any running site, or an embedded lab of the fleet's
 * own. Results stream to the journal as they come (nothing per client is kept but the
 * durations the statistics need), so a rerun after a crash continues where it stopped.
 */

export interface EnrollRequest {
  count: number;
  concurrency: number;
  /** The lab of --lab (or CCMLAB_LAB, or the default), and whether one was named. */
  lab: Lab;
  labGiven: boolean;
  fleetDir: string | undefined;
  namePattern: string | undefined;
  keyCache: string | undefined;
  logs: LogsMode;
  regToken: string | undefined;
  regTokenFile: string | undefined;
  cmg: string | undefined;
  siteCode: string | undefined;
  connectTo: ConnectTo[];
  caFile: string | undefined;
  now: string | undefined;
  progress?: ProgressSink;
  signal?: AbortSignal;
}

export interface EnrollSummary extends StatisticsSummary {
  mode: FleetMode;
  fleetDir: string;
  count: number;
  concurrency: number;
  /** Enrolled by earlier runs (the journal), skipped by this one. */
  alreadyEnrolled: number;
  attempted: number;
  /** True when SIGINT or SIGTERM stopped the run before every client was tried. */
  interrupted: boolean;
  keys: 'cache' | 'fresh';
  seconds: number;
  clientsPerSecond: number;
  peakRssMb: number;
  /** CPU this process spent on the run (user and system), per enrolled client: what a client costs the machine on this side; null when none enrolled. */
  cpuMsPerClient: number | null;
  clientLogs: string | null;
  siteLogs: string | null;
}

interface Prepared {
  target: Target;
  fleetDir: string;
  layout: Lab;
  pattern: NamePattern;
  keys: KeyCache | undefined;
  sync: GroupSync;
  replay: Replay;
  release: () => void;
}

/** Where and with what the clients enroll, the fleet dir taken (locked) and its journal read. */
function prepare(request: EnrollRequest): Prepared {
  const fleetDir = path.resolve(request.fleetDir ?? path.join(request.lab.root, 'fleet'));
  const layout = fleetLayout(fleetDir);
  const target = aimFleet({ ...request, fleetDir }, layout);
  const made = makeFleetDir(fleetDir);
  const release = lockFleet(fleetDir);
  try {
    const { fleet, record } = openFleet(
      fleetDir,
      {
        namePattern: request.namePattern,
        labRoot: path.resolve(target.envLab.root),
        embedded: target.mode === 'embedded',
      },
      DEFAULT_NAME_PATTERN,
      target.clock.now(),
    );
    refuseFleetLinks(layout);
    const pattern = parseNamePattern(fleet.namePattern);
    checkNames(pattern, request.count);
    const sync = new GroupSync();
    const keys = request.keyCache !== undefined ? KeyCache.open(request.keyCache, sync.sync) : undefined;
    const replay = replayJournal(path.join(fleetDir, JOURNAL_FILE));
    const prepared = { target, fleetDir, layout, pattern, keys, sync, replay, release };
    if (keys) checkKeysSuffice(prepared, keys, request.count);
    record();
    return prepared;
  } catch (error) {
    release();
    if (made !== undefined) removeEmptyDirs(fleetDir, made);
    throw error;
  }
}

/** Refuses, before any client starts, a key cache that cannot give every client of this run its keys. */
function checkKeysSuffice(p: Prepared, keys: KeyCache, count: number): void {
  let needed = 0;
  for (const n of pendingClients(count, p.replay.enrolled)) {
    const name = nameAt(p.pattern, n);
    if (!hasIdentity(p.layout.clientDir(name)) && !keys.hasClaim(ownerOf(p.fleetDir, name))) needed++;
  }
  const ready = keys.countReady();
  if (ready < needed) {
    const more = needed - ready;
    throw new CcmlabError(
      'CCMLAB_E_KEY_CACHE_EMPTY',
      `the key cache ${path.resolve(keys.dir)} holds keys for ${countOf(ready, 'client')} and this run needs them for ${needed}; make the ${more} more with 'ccmlab fleet keys --count ${more} --key-cache ${keys.dir}'`,
    );
  }
}

interface Started {
  run: ClientRun;
  stop: () => Promise<void>;
}

/** The site running (the embedded one started), and the clients' settings with the bulk token given or issued now, checked once. */
async function startTarget(p: Prepared, request: EnrollRequest): Promise<Started> {
  const { target } = p;
  const embedded: EmbeddedSite | undefined =
    target.mode === 'embedded' ? await startEmbeddedSite(p.fleetDir, target.clock) : undefined;
  try {
    const settings =
      target.settings ?? clientSettings(target.cmg, target.siteCode, await issueLabToken(target.envLab, target.clock));
    const run: ClientRun = {
      fleetDir: p.fleetDir,
      layout: p.layout,
      pattern: p.pattern,
      settings,
      connectTo: request.connectTo,
      caFile: request.caFile,
      environment: labEnvironment(target.envLab),
      clock: target.clock,
      logs: request.logs,
      keys: p.keys,
      sync: p.sync.sync,
    };
    return { run, stop: async () => embedded?.site.stop() };
  } catch (error) {
    await embedded?.site.stop();
    throw error;
  }
}

/** Journal durations to the tenth of a millisecond. */
function rounded(phases: PhaseMs): PhaseMs {
  return Object.fromEntries(Object.entries(phases).map(([phase, ms]) => [phase, Math.round(ms * 10) / 10]));
}

/** One client's result: to the journal (an enrolled client durably, before it counts), the statistics and the progress bar. */
async function recordResult(
  journal: JournalWriter,
  stats: FleetStatistics,
  run: ClientRun,
  n: number,
  outcome: Outcome<EnrolledClient>,
  progress: ProgressSink | undefined,
): Promise<void> {
  const at = run.clock.now().toISOString();
  if (outcome.ok) {
    const { name, smsid, phases, ms } = outcome.value;
    journal.append({ type: 'enrolled', n, name, smsid, at, ms: rounded(phases) });
    await journal.flush();
    stats.addEnrolled(phases, ms);
  } else {
    const error = toCcmlabError(outcome.error);
    const name = nameAt(run.pattern, n);
    const message = printable(redactTokens(error.message), 2000);
    journal.append({ type: 'failed', n, name, code: error.code, message, at });
    stats.addFailed(error.code, name, message);
  }
  progress?.update(stats.counts.enrolled, stats.counts.failed);
}

async function enrollPending(
  p: Prepared,
  run: ClientRun,
  stats: FleetStatistics,
  request: EnrollRequest,
): Promise<PoolRun> {
  const journal = new JournalWriter(path.join(p.fleetDir, JOURNAL_FILE), p.replay.committedBytes);
  try {
    return await runPool({
      items: pendingClients(request.count, p.replay.enrolled),
      concurrency: request.concurrency,
      work: (n) => enrollClient(run, n),
      onResult: (n, outcome) => recordResult(journal, stats, run, n, outcome, request.progress),
      signal: request.signal,
    });
  } finally {
    await journal.flush();
    journal.close();
  }
}

function enrolledBefore(replay: Replay, count: number): number {
  let enrolled = 0;
  for (let n = 1; n <= count; n++) if (replay.enrolled.has(n)) enrolled++;
  return enrolled;
}

export async function runFleetEnroll(request: EnrollRequest): Promise<EnrollSummary> {
  const p = prepare(request);
  try {
    const started = await startTarget(p, request);
    const stats = new FleetStatistics();
    const alreadyEnrolled = enrolledBefore(p.replay, request.count);
    const startedAt = performance.now();
    const cpuBefore = process.cpuUsage();
    let pool: PoolRun;
    try {
      request.progress?.start(request.count - alreadyEnrolled);
      pool = await enrollPending(p, started.run, stats, request);
    } finally {
      request.progress?.stop();
      await started.stop();
      p.keys?.close();
    }
    const seconds = (performance.now() - startedAt) / 1000;
    const cpu = process.cpuUsage(cpuBefore);
    const summary = stats.summary();
    return {
      mode: p.target.mode,
      fleetDir: p.fleetDir,
      count: request.count,
      concurrency: request.concurrency,
      alreadyEnrolled,
      attempted: pool.started,
      interrupted: pool.stopped,
      ...summary,
      keys: p.keys ? 'cache' : 'fresh',
      seconds: Number(seconds.toFixed(2)),
      clientsPerSecond: Number((summary.enrolled / Math.max(seconds, 1e-3)).toFixed(2)),
      peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
      cpuMsPerClient:
        summary.enrolled > 0 ? Number(((cpu.user + cpu.system) / 1000 / summary.enrolled).toFixed(2)) : null,
      clientLogs: request.logs === 'none' ? null : path.join(p.layout.logsDir, 'clients'),
      siteLogs: p.target.siteLogs,
    };
  } finally {
    p.release();
  }
}
