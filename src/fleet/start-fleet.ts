import * as path from 'node:path';
import { agentStart, type StartAction } from '../client/agent';
import { isInstalled } from '../client/client-state';
import { toCcmlabError } from '../core/errors';
import { redactTokens } from '../core/secrets';
import { printable } from '../core/text';
import { startEmbeddedSite } from '../orchestration/embedded-lab';
import { labEnvironment } from '../world/environment';
import { labAt, type Lab } from '../world/lab';
import { commandClock } from '../world/lab-clock';
import type { LogsMode } from './enroll-client';
import {
  clientNames,
  fleetLayout,
  lockFleet,
  refuseClientLinks,
  refuseFleetLinks,
  removeClientLogs,
  requireFleet,
} from './fleet-dir';
import { runPool } from './pool';
import { FailureTally, type FailureGroup } from './statistics';

/**
 * `ccmlab fleet start`: CcmExec starting on every enrolled client of the fleet (the agent's
 * own start: location refresh, then renewal once the token is 30 days old), by the clock of
 * the fleet's lab or --now, a bounded number at once. An embedded fleet's site is started for
 * the run.
 */

export interface StartRequest {
  lab: Lab;
  fleetDir: string | undefined;
  concurrency: number;
  logs: LogsMode;
  now: string | undefined;
  signal?: AbortSignal;
}

export interface StartSummary {
  fleetDir: string;
  at: string;
  started: number;
  outcomes: Record<StartAction, number>;
  failed: number;
  failures: FailureGroup[];
  /** Client dirs with no installed client (their enrollment never finished): not started. */
  notEnrolled: number;
  interrupted: boolean;
  seconds: number;
}

/** The installed clients among the fleet's client dirs; the others are counted. */
function* installedClients(layout: Lab, skipped: { count: number }): Generator<string> {
  for (const name of clientNames(layout)) {
    if (isInstalled(layout.clientDir(name))) yield name;
    else skipped.count++;
  }
}

export async function runFleetStart(request: StartRequest): Promise<StartSummary> {
  const fleetDir = path.resolve(request.fleetDir ?? path.join(request.lab.root, 'fleet'));
  const fleet = requireFleet(fleetDir);
  const layout = fleetLayout(fleetDir);
  const envLab = labAt(fleet.labRoot);
  const clock = commandClock(request.now, envLab);
  const release = lockFleet(fleetDir);
  try {
    refuseFleetLinks(layout);
    const embedded = fleet.embedded ? await startEmbeddedSite(fleetDir, clock) : undefined;
    const outcomes: Record<StartAction, number> = { renewed: 0, 'not-due': 0, registered: 0, 'pending-approval': 0 };
    const failures = new FailureTally();
    const skipped = { count: 0 };
    const started = performance.now();
    let run;
    try {
      const environment = labEnvironment(envLab);
      run = await runPool({
        items: installedClients(layout, skipped),
        concurrency: request.concurrency,
        work: async (name) => {
          refuseClientLinks(layout, name);
          const { action } = await agentStart({
            clientDir: layout.clientDir(name),
            environment,
            clock,
            retryMs: 0,
            writeLogs: request.logs !== 'none',
          });
          if (request.logs === 'failures') removeClientLogs(layout, name);
          return action;
        },
        onResult: (name, outcome) => {
          if (outcome.ok) outcomes[outcome.value]++;
          else
            failures.add(
              toCcmlabError(outcome.error).code,
              name,
              printable(redactTokens(toCcmlabError(outcome.error).message), 2000),
            );
        },
        signal: request.signal,
      });
    } finally {
      await embedded?.site.stop();
    }
    const seconds = Number(((performance.now() - started) / 1000).toFixed(2));
    return {
      fleetDir,
      at: clock.now().toISOString(),
      started: run.started,
      outcomes,
      failed: failures.count,
      failures: failures.list(),
      notEnrolled: skipped.count,
      interrupted: run.stopped,
      seconds,
    };
  } finally {
    release();
  }
}
