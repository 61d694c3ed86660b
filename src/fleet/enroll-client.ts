import { isInstalled, removeClient } from '../client/client-state';
import type { EnrollPhase } from '../client/enroll';
import type { ClientKeys } from '../client/identity';
import type { ClientIdentity } from '../client/install';
import type { Clock } from '../core/clock';
import type { ConnectTo } from '../core/connect-to';
import { CcmlabError } from '../core/errors';
import type { Syncer } from '../store/atomic-file';
import { runSetup, type SetupOutcome } from '../client/run-setup';
import type { ParsedSetup } from '../client/setup-command';
import { GroupedFiles } from '../store/state-store';
import type { NetworkEnvironment } from '../world/environment';
import type { Lab } from '../world/lab';
import { hasIdentity, loadIdentity, newIdentity, saveIdentity } from './client-identity';
import { refuseClientLinks, removeClientLogs } from './fleet-dir';
import type { PhaseMs } from './journal';
import { ownerOf, type KeyCache } from './key-cache';
import { nameAt, type NamePattern } from './names';

/**
 * One fleet client, through exactly ccmsetup's path (runSetup → install → enroll): its
 * identity fixed on disk first (new, with cached or fresh keys, or the one an earlier attempt
 * fixed), then the install with that identity, its state written through a store of its own
 * whose fsyncs share rounds with the other clients' and durable before the install returns.
 * Whatever an interrupted or failed attempt left in the client dir is replaced by the retry,
 * which installs the same identity again.
 */

export type LogsMode = 'all' | 'failures' | 'none';

export interface ClientRun {
  fleetDir: string;
  layout: Lab;
  pattern: NamePattern;
  /** ccmsetup's settings, the same for every client, checked once. */
  settings: ParsedSetup;
  connectTo: ConnectTo[];
  caFile: string | undefined;
  environment: NetworkEnvironment;
  clock: Clock;
  logs: LogsMode;
  keys: KeyCache | undefined;
  /** The fleet's fsyncs, in rounds shared by its clients. */
  sync: Syncer;
}

export interface EnrolledClient {
  n: number;
  name: string;
  smsid: string;
  phases: PhaseMs;
  ms: number;
}

function addPhase(phases: PhaseMs, phase: EnrollPhase, ms: number): void {
  phases[phase] = (phases[phase] ?? 0) + ms;
}

async function claimKeys(cache: KeyCache, owner: string, name: string): Promise<ClientKeys> {
  const keys = await cache.claim(owner);
  if (!keys) {
    throw new CcmlabError(
      'CCMLAB_E_KEY_CACHE_EMPTY',
      `the key cache ${cache.dir} ran out of keys before ${name} (another run took the rest); make more with 'ccmlab fleet keys --key-cache ${cache.dir} --count <clients>' and run the fleet again`,
    );
  }
  return keys;
}

/** The client's fixed identity, made and saved durably first if it has none (timed as the 'keys' phase). */
async function clientIdentity(
  run: ClientRun,
  name: string,
  clientDir: string,
  store: GroupedFiles,
  phases: PhaseMs,
): Promise<ClientIdentity> {
  const owner = run.keys ? ownerOf(run.fleetDir, name) : undefined;
  if (hasIdentity(clientDir)) {
    // A crash may have come between fixing the identity and giving up the cache's claim.
    if (run.keys && owner) await run.keys.release(owner);
    return loadIdentity(clientDir, store);
  }
  const started = performance.now();
  const keys = run.keys && owner ? await claimKeys(run.keys, owner, name) : undefined;
  const identity = await newIdentity(run.clock, keys);
  await saveIdentity(clientDir, identity, store);
  if (run.keys && owner) await run.keys.release(owner);
  addPhase(phases, 'keys', performance.now() - started);
  return identity;
}

/** The SMSID of a client that ccmsetup installed and registered; anything else is this client's failure. */
function registeredSmsid(outcome: SetupOutcome, name: string): string {
  const action = outcome.kind === 'install' ? outcome.result.action : outcome.kind;
  const state = outcome.kind === 'install' ? outcome.result.state : undefined;
  if (action === 'installed' && state?.token) return state.config.smsid;
  if (action === 'pending-approval') {
    throw new CcmlabError(
      'CCMCLIENT_E_REGISTRATION',
      `${name} is installed but its registration waits for approval on the site; approve it ('ccmlab site clients approve ${state?.config.smsid ?? '<SMSID>'}') and run the fleet again`,
    );
  }
  if (action === 'unassigned') {
    throw new CcmlabError(
      'CCMCLIENT_E_NOT_ASSIGNED',
      `${name} is installed but not assigned: the CMG's MP serves another site than ${state?.config.siteCode ?? 'the one given'}; give that site's code (--site-code)`,
    );
  }
  throw new CcmlabError(
    'CCMLAB_E_INTERNAL',
    `internal error: ccmsetup ended '${action}' for ${name} instead of installing it (report it)`,
  );
}

export async function enrollClient(run: ClientRun, n: number): Promise<EnrolledClient> {
  const started = performance.now();
  const name = nameAt(run.pattern, n);
  const clientDir = run.layout.clientDir(name);
  const logDir = run.layout.clientLogDir(name);
  const phases: PhaseMs = {};
  refuseClientLinks(run.layout, name);
  const store = new GroupedFiles(run.sync);
  const identity = await clientIdentity(run, name, clientDir, store, phases);
  // A retry installs afresh, with the same identity (kept in certs/): what an interrupted attempt left goes.
  if (isInstalled(clientDir)) removeClient(clientDir, 'certificates');
  const outcome = await runSetup({
    settings: { parsed: run.settings },
    netbios: name,
    clientDir,
    logDir,
    clock: run.clock,
    connectTo: run.connectTo,
    caFile: run.caFile,
    environment: run.environment,
    dryRun: false,
    // The site answers a first registration pending; the client confirms at once.
    retryMs: 0,
    identity,
    writeLogs: run.logs !== 'none',
    store,
    onPhase: (phase, ms) => addPhase(phases, phase, ms),
  });
  const smsid = registeredSmsid(outcome, name);
  if (run.logs === 'failures') removeClientLogs(run.layout, name);
  return { n, name, smsid, phases, ms: performance.now() - started };
}
