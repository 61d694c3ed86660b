import type { Clock } from '../core/clock';
import { openSite } from '../site/site-dir';
import { claimSite, readyFilePath, writeReadyFile } from '../site/site-instance';
import type { SiteRuntime } from '../site/site-runtime';
import { startSite, type ReadyInfo, type RunningSite } from '../site/site-server';
import { removeFile } from '../store/file-writes';
import type { Lab } from '../world/lab';
import { labNames } from '../world/lab-names';
import { publishSiteNames } from './site-names';

/**
 * The one lifecycle of a running site, for `site start` (in the foreground, which is also what
 * a detached start runs), the demo, fleets and the bench: the site and its lab's files read
 * before anything listens; the site claimed (site.lock, released at any exit); its listeners
 * started; its names published in its lab; ready.json written. At stop, the listeners drain
 * and close, and ready.json and the lock go.
 */

export interface SiteRunOptions {
  siteDir: string;
  logDir: string;
  /** The address every listener binds. */
  host: string;
  /** Undefined: the port recorded at site init; 0: any free port. */
  mpPort?: number;
  mpHttpsPort?: number;
  cmgPort?: number;
  /** The lab whose names the site publishes; undefined for a site outside every lab, which publishes none. */
  lab: Lab | undefined;
  /** The site's clock, made once the site is known to open, so that a missing site is what a start reports first. */
  clock: () => Clock;
  /** Another file to write the URLs to (`--ready-file`), removed at stop. */
  readyFile?: string;
}

export interface SiteInstance {
  ready: ReadyInfo;
  runtime: SiteRuntime;
  /** Drains the requests in flight and closes the listeners; then ready.json and the lock go. Once. */
  stop(): Promise<void>;
}

const READY_FILE_ROLE = { label: '--ready-file', code: 'CCMLAB_E_STATE_WRITE', fix: 'remove it yourself' } as const;

/** The site, its clock and its lab's names, each read once: a start that cannot use them is refused before it changes anything. */
export function checkSiteStart(options: SiteRunOptions): Clock {
  openSite(options.siteDir).close();
  const clock = options.clock();
  if (options.lab) labNames(options.lab);
  return clock;
}

/** Where the running site is found: its names in its lab, ready.json, and `readyFile` if given. */
function announce(options: SiteRunOptions, ready: ReadyInfo): void {
  if (options.lab) publishSiteNames(options.lab, ready, options.host);
  writeReadyFile(readyFilePath(options.siteDir), ready);
  if (options.readyFile) writeReadyFile(options.readyFile, ready);
}

/** Starts the site; it runs until its stop() (or the process's exit, which releases its lock). */
export async function runSite(options: SiteRunOptions): Promise<SiteInstance> {
  const clock = checkSiteStart(options);
  const release = claimSite(options.siteDir);
  let running: RunningSite | undefined;
  try {
    running = await startSite({
      siteDir: options.siteDir,
      host: options.host,
      mpPort: options.mpPort,
      mpHttpsPort: options.mpHttpsPort,
      cmgPort: options.cmgPort,
      logDir: options.logDir,
      clock,
    });
    announce(options, running.ready);
  } catch (error) {
    try {
      await running?.stop();
    } finally {
      release();
    }
    throw error;
  }
  const site = running;
  let stopped: Promise<void> | undefined;
  const stop = async (): Promise<void> => {
    try {
      await site.stop();
      if (options.readyFile) removeFile(options.readyFile, READY_FILE_ROLE);
    } finally {
      release();
    }
  };
  return { ready: site.ready, runtime: site.runtime, stop: () => (stopped ??= stop()) };
}

/** What asks a site in the foreground to stop: SIGINT, SIGTERM, or `abort`. Resolves with its name; the listeners go then. */
export function stopRequested(abort?: AbortSignal): Promise<string> {
  return new Promise((resolve) => {
    const listeners = { SIGINT: () => stopWith('SIGINT'), SIGTERM: () => stopWith('SIGTERM') };
    const onAbort = () => stopWith('abort');
    const stopWith = (reason: string) => {
      process.off('SIGINT', listeners.SIGINT);
      process.off('SIGTERM', listeners.SIGTERM);
      abort?.removeEventListener('abort', onAbort);
      resolve(reason);
    };
    process.on('SIGINT', listeners.SIGINT);
    process.on('SIGTERM', listeners.SIGTERM);
    if (abort?.aborted) onAbort();
    else abort?.addEventListener('abort', onAbort);
  });
}

export interface ForegroundReport {
  /** The site listens: say where. */
  ready(ready: ReadyInfo): void;
  /** A stop was asked for (`reason`): the site drains and stops. */
  stopping(reason: string): void;
}

/** `site start` in the foreground: the site runs until SIGINT, SIGTERM or `abort`, then stops. */
export async function serveSite(options: SiteRunOptions, report: ForegroundReport, abort?: AbortSignal): Promise<void> {
  const site = await runSite(options);
  try {
    report.ready(site.ready);
    // Listening from here on, in the same turn as the report: no signal can come between.
    report.stopping(await stopRequested(abort));
  } finally {
    await site.stop();
  }
}
