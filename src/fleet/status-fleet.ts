import * as path from 'node:path';
import { isInstalled, readClientConfig, tokenState, type ClientConfig, type TokenState } from '../client/client-state';
import { isCcmlabError } from '../core/errors';
import { labAt, type Lab } from '../world/lab';
import { commandClock } from '../world/lab-clock';
import { clientNames, fleetLayout, requireFleet } from './fleet-dir';

/**
 * `ccmlab fleet status`: the fleet's clients counted by registration state and by where
 * their token stands at the lab's time (or --now), from each client's own state: no network,
 * no lock, client.json alone read per client.
 */

export interface StatusCounts {
  clients: number;
  registration: Record<ClientConfig['registration'], number>;
  tokens: Record<TokenState, number>;
  /** Client dirs without an installed client: enrollment not finished (failed, or interrupted). */
  notEnrolled: number;
  /** Installed clients whose client.json cannot be read. */
  damaged: number;
}

export interface StatusSummary extends StatusCounts {
  fleetDir: string;
  at: string;
}

export function emptyCounts(): StatusCounts {
  return {
    clients: 0,
    registration: { registered: 0, pending: 0, unassigned: 0 },
    tokens: { valid: 0, 'renewal-due': 0, expired: 0 },
    notEnrolled: 0,
    damaged: 0,
  };
}

/** Counts one client dir: not installed (undefined), damaged (null), or its configuration. */
export function countClient(counts: StatusCounts, config: ClientConfig | null | undefined, now: Date): void {
  counts.clients++;
  if (config === undefined) counts.notEnrolled++;
  else if (config === null) counts.damaged++;
  else {
    counts.registration[config.registration]++;
    if (config.token) counts.tokens[tokenState(config.token, now)]++;
  }
}

function configOf(dir: string): ClientConfig | null | undefined {
  if (!isInstalled(dir)) return undefined;
  try {
    return readClientConfig(dir);
  } catch (error) {
    if (isCcmlabError(error) && error.code === 'CCMCLIENT_E_CORRUPT_STATE') return null;
    throw error;
  }
}

export function fleetStatus(request: {
  lab: Lab;
  fleetDir: string | undefined;
  now: string | undefined;
}): StatusSummary {
  const fleetDir = path.resolve(request.fleetDir ?? path.join(request.lab.root, 'fleet'));
  const fleet = requireFleet(fleetDir);
  const layout = fleetLayout(fleetDir);
  const now = commandClock(request.now, labAt(fleet.labRoot)).now();
  const counts = emptyCounts();
  for (const name of clientNames(layout)) countClient(counts, configOf(layout.clientDir(name)), now);
  return { fleetDir, at: now.toISOString(), ...counts };
}
