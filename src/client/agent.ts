import type { Clock } from '../core/clock';
import { parseConnectTo, type ConnectTo } from '../core/connect-to';
import { CcmlabError } from '../core/errors';
import { closeClientLogs, openClientLogs, rotationLine, type ClientLogs } from './client-logs';
import {
  expiredTokenAdvice,
  loadClient,
  saveClient,
  tokenInfo,
  type ClientState,
  type TokenInfo,
} from './client-state';
import { enroll } from './enroll';
import { identityOf } from './identity';
import { clientTrust, transportFor } from './install';
import { cmgOrigin } from './install-plan';
import type { NetworkEnvironment } from '../world/environment';
import { messageTime, stsTime } from '../protocol/jwt';
import { MpSession, SYSTEM_SID, type Route } from './mp-session';
import { ClientHttp } from './transport';

/**
 * The client agent (CcmExec): at start it refreshes its MP's location, then finishes a
 * pending registration or renews the unique token once it is 30 days old, through the CMG
 * or the intranet MP. A token past its 90 days only an intranet MP can replace.
 */

export interface AgentOptions {
  clientDir: string;
  /** Overrides of what the client keeps. */
  logDir?: string;
  connectTo?: ConnectTo[];
  caFile?: string;
  /** The lab's names and trusted roots (empty outside a lab). */
  environment?: NetworkEnvironment;
  clock: Clock;
  retryMs?: number;
  /** false: no client logs are written (ccmlab fleet start --logs none). */
  writeLogs?: boolean;
  /** Calls `wake` when the lab clock is moved, so a waiting agent looks at the time again; returns the unsubscribe. */
  onClockChange?: (wake: () => void) => () => void;
}

export type StartAction = 'registered' | 'renewed' | 'not-due' | 'pending-approval';

export interface StartResult {
  action: StartAction;
  state: ClientState;
}

interface Context {
  state: ClientState;
  logs: ClientLogs;
  http: ClientHttp;
  session: (route: Route) => MpSession;
  clock: Clock;
}

async function withClient<T>(options: AgentOptions, work: (context: Context) => Promise<T>): Promise<T> {
  const state = loadClient(options.clientDir);
  const config = state.config;
  const connectTo = options.connectTo ?? config.connectTo.map(parseConnectTo);
  const trust = clientTrust(options.caFile, state.trustedRoot);
  const logs = openClientLogs(
    options.logDir ?? config.logDir,
    options.writeLogs === false ? { ...config.logSettings, enabled: false } : config.logSettings,
    options.clock,
  );
  const http = new ClientHttp(
    transportFor(
      connectTo,
      trust,
      options.environment,
      config.crlCheck === false ? undefined : { now: () => options.clock.now() },
    ),
  );
  const identity = identityOf(config.smsid, config.netbios, config.fqdn, state.signing, state.encryption);
  try {
    return await work({
      state,
      logs,
      http,
      clock: options.clock,
      session: (route) =>
        new MpSession({ http, logs, clock: options.clock, route, identity, retryMs: options.retryMs }),
    });
  } finally {
    await http.close();
    await closeClientLogs(logs);
  }
}

function internetRoute(state: ClientState): Route | undefined {
  const cmg = state.config.cmg;
  return cmg ? { kind: 'cmg', origin: cmgOrigin(cmg), roleId: cmg.roleId } : undefined;
}

function intranetRoute(state: ClientState): Route | undefined {
  return state.config.assignedMp ? { kind: 'intranet', mp: state.config.assignedMp } : undefined;
}

function currentRoute(state: ClientState): Route {
  const route = state.config.location === 'internet' ? internetRoute(state) : intranetRoute(state);
  if (!route)
    throw new CcmlabError(
      'CCMCLIENT_E_CORRUPT_STATE',
      `the client has no ${state.config.location} management point; reinstall it with ccmsetup`,
    );
  return route;
}

async function save(
  options: AgentOptions,
  state: ClientState,
  changes: Partial<ClientState['config']>,
  token: string | null,
  now: Date,
): Promise<ClientState> {
  const next: ClientState = { ...state, token, config: { ...state.config, ...changes, updatedAt: now.toISOString() } };
  await saveClient(options.clientDir, next);
  return next;
}

/**
 * What CcmExec does at start, decided from the client's state and time alone: refuse (not
 * assigned, no token for the CMG, a token past 90 days with no intranet MP), or refresh its MP
 * location through `route` and then register, wait or renew there.
 */
export type StartPlan =
  | { step: 'not-assigned' }
  | { step: 'needs-bulk-token' }
  | { step: 'token-expired'; token: TokenInfo }
  | { step: 'register'; route: Route }
  | { step: 'wait'; route: Route; token: TokenInfo }
  | { step: 'renew'; route: Route; token: TokenInfo; expired: boolean };

export function planStart(state: ClientState, now: Date): StartPlan {
  if (state.config.registration === 'unassigned') return { step: 'not-assigned' };
  const route = currentRoute(state);
  if (state.config.registration === 'pending' || !state.token)
    return route.kind === 'cmg' ? { step: 'needs-bulk-token' } : { step: 'register', route };
  const token = tokenInfo(state.token);
  if (now.getTime() < Date.parse(token.renewalDue)) return { step: 'wait', route, token };
  if (now.getTime() <= Date.parse(token.expiresAt)) return { step: 'renew', route, token, expired: false };
  // Only an intranet MP can replace a token past its 90 days.
  const intranet = intranetRoute(state);
  return route.kind === 'cmg' || !intranet
    ? { step: 'token-expired', token }
    : { step: 'renew', route: intranet, token, expired: true };
}

/** CcmExec refreshes its MP's location at start: the site signing certificate, then the MP list, through its current route. */
async function refreshLocation(mp: MpSession, route: Route, token: string | null): Promise<void> {
  const bearer = route.kind === 'cmg' ? (token ?? undefined) : undefined;
  await mp.siteSigningCertificate(bearer);
  await mp.mpList(bearer);
}

function refuseStart(
  plan: Extract<StartPlan, { step: 'not-assigned' | 'needs-bulk-token' | 'token-expired' }>,
  state: ClientState,
  logs: ClientLogs,
): never {
  if (plan.step === 'not-assigned') {
    logs.location.error(
      `The client is not assigned to a site (site code <${state.config.siteCode}> is not valid for its management point); it does not register.`,
    );
    throw new CcmlabError(
      'CCMCLIENT_E_NOT_ASSIGNED',
      `the client is not assigned to a site: its management point does not serve site ${state.config.siteCode}; reinstall it with the right SMSSITECODE (ccmsetup /forceinstall SMSSITECODE=<code>)`,
    );
  }
  if (plan.step === 'needs-bulk-token') {
    throw new CcmlabError(
      'CCMCLIENT_E_REGISTRATION',
      'the client is not registered and has no token for the CMG: reinstall it with ccmsetup /regtoken:<bulk token>, or bring it to the intranet',
    );
  }
  throw new CcmlabError(
    'CCMCLIENT_E_TOKEN_EXPIRED',
    `the client's CCM token expired at ${plan.token.expiresAt}; ${expiredTokenAdvice(state.config)}`,
  );
}

async function register(
  options: AgentOptions,
  { state, logs, session }: Context,
  route: Route,
  now: Date,
): Promise<StartResult> {
  const result = await enroll({
    session: session(route),
    bearer: { kind: 'none' },
    gatewayLog: logs.idManager,
    internet: false,
    keyInformation: state.config.mpKeyInformation,
  });
  if (!result.registered) return { action: 'pending-approval', state };
  const next = await save(
    options,
    state,
    {
      smsid: result.smsid,
      registration: 'registered',
      token: tokenInfo(result.token),
      mpKeyInformation: result.keyInformation,
    },
    result.token,
    now,
  );
  return { action: 'registered', state: next };
}

async function renew(
  options: AgentOptions,
  { state, logs, session }: Context,
  plan: Extract<StartPlan, { step: 'renew' }>,
  now: Date,
): Promise<StartResult> {
  const { route, token: info } = plan;
  logs.idManager.info(
    `[RegTask] - The CCM token issued at ${messageTime(info.issuedAt)} is due for renewal; renewing through ${route.kind === 'cmg' ? 'the CMG' : 'the intranet MP'}.`,
  );
  logs.messaging.info(
    `CCM Token for '${SYSTEM_SID}' (${stsTime(Date.parse(info.expiresAt) / 1000)}) is already expired or close to expire`,
  );
  const token = await session(route).ccmToken(route.kind === 'cmg' ? (state.token ?? undefined) : undefined, 'renewal');
  const next = await save(options, state, { token: tokenInfo(token) }, token, now);
  logs.idManager.info(
    `[RegTask] - CCM token renewed; valid until ${messageTime(next.config.token?.expiresAt ?? '')}, next renewal due ${messageTime(next.config.token?.renewalDue ?? '')}.`,
  );
  return { action: 'renewed', state: next };
}

export function agentStart(options: AgentOptions): Promise<StartResult> {
  return withClient(options, async (context) => {
    const { state, logs, clock } = context;
    const now = clock.now();
    logs.idManager.info(`CcmExec starting for ${state.config.smsid} at ${stsTime(now.getTime() / 1000)}.`);
    const plan = planStart(state, now);
    if ((plan.step === 'renew' && plan.expired) || plan.step === 'token-expired') {
      logs.idManager.error(
        `[RegTask] - The CCM token expired at ${messageTime(plan.token.expiresAt)}. Only an intranet management point can issue a new one.`,
      );
    }
    if (plan.step === 'not-assigned' || plan.step === 'needs-bulk-token' || plan.step === 'token-expired')
      return refuseStart(plan, state, logs);
    // Nothing is stored before the location refresh succeeds: a failed start leaves the client as it was.
    await refreshLocation(context.session(plan.route), plan.route, state.token);
    if (plan.step === 'register') return register(options, context, plan.route, now);
    if (plan.step === 'wait') {
      logs.idManager.info(
        `[RegTask] - The CCM token is valid until ${messageTime(plan.token.expiresAt)}; renewal is due at ${messageTime(plan.token.renewalDue)}.`,
      );
      return { action: 'not-due', state };
    }
    return renew(options, context, plan, now);
  });
}

/** `ccmlab client roam --internet|--intranet`: move the client and find its MP there. */
export function agentRoam(options: AgentOptions, to: 'internet' | 'intranet'): Promise<ClientState> {
  return withClient(options, async ({ state, logs, session, clock }) => {
    const route = to === 'internet' ? internetRoute(state) : intranetRoute(state);
    if (!route) {
      throw new CcmlabError(
        'CCMCLIENT_E_NO_STATE',
        to === 'internet'
          ? 'the client knows no CMG: install it with CCMHOSTNAME=<cmg>/CCM_Proxy_MutualAuth/<role ID>'
          : 'the client knows no intranet MP: install it with /mp:<MP>',
      );
    }
    if (route.kind === 'cmg') {
      if (!state.token)
        throw new CcmlabError(
          'CCMCLIENT_E_REGISTRATION',
          'the client has no CCM token yet, so it cannot use the CMG; let it register on the intranet first',
        );
      const mp = session(route);
      await mp.serviceMetadata(state.token, logs.locationServices, true);
      await mp.mpList(state.token);
      logs.location.info(rotationLine(state.config.internetMp ?? state.config.cmg?.url ?? ''));
    } else {
      await session(route).mpList(undefined);
      logs.location.info(`Assigned MP changed from <> to <${new URL(state.config.assignedMp as string).host}>.`);
    }
    return save(options, state, { location: to }, state.token, clock.now());
  });
}

/** Milliseconds until the token's renewal is due (0 if due now). */
export function untilRenewal(state: ClientState, clock: Clock): number | undefined {
  if (!state.token) return undefined;
  return Math.max(0, Date.parse(tokenInfo(state.token).renewalDue) - clock.now().getTime());
}

/** setTimeout cannot wait longer than 2^31-1 ms (24.8 days): longer waits go in steps. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    let timer: NodeJS.Timeout | undefined;
    const finish = (): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', finish);
      resolve();
    };
    const step = (left: number): void => {
      timer = setTimeout(
        () => (left > MAX_TIMER_MS ? step(left - MAX_TIMER_MS) : finish()),
        Math.min(left, MAX_TIMER_MS),
      );
    };
    signal.addEventListener('abort', finish, { once: true });
    step(ms);
  });
}

const FATAL = new Set([
  'CCMCLIENT_E_TOKEN_EXPIRED',
  'CCMCLIENT_E_NO_STATE',
  'CCMCLIENT_E_CORRUPT_STATE',
  'CCMCLIENT_E_NOT_ASSIGNED',
]);
const RETRY_MS = 60_000;

/** `ccmlab client run`: start, then renew on schedule until stopped. */
export async function agentRun(
  options: AgentOptions,
  signal: AbortSignal,
  onEvent: (message: string) => void,
): Promise<void> {
  while (!signal.aborted) {
    let wait: number | undefined;
    try {
      const { action, state } = await agentStart(options);
      wait = untilRenewal(state, options.clock);
      onEvent(`${action}${wait !== undefined ? `; next renewal in ${Math.round(wait / 3_600_000)} h` : ''}`);
    } catch (error) {
      // A site that is down or refusing is tried again, as CcmExec does; a dead token is not.
      if (!(error instanceof CcmlabError) || FATAL.has(error.code)) throw error;
      onEvent(`${error.code}: ${error.message}; trying again in ${RETRY_MS / 1000} s`);
    }
    // Stopped while starting: the abort has fired already and would not end the wait below.
    if (signal.aborted) break;
    // Pending approval or a failure: look again soon; otherwise wake at the renewal time,
    // or sooner if the lab clock moves.
    const woken = new AbortController();
    const stop = () => woken.abort();
    signal.addEventListener('abort', stop, { once: true });
    const unsubscribe = options.onClockChange?.(stop);
    try {
      await sleep(wait === undefined ? RETRY_MS : Math.max(wait, 1_000), woken.signal);
    } finally {
      unsubscribe?.();
      signal.removeEventListener('abort', stop);
    }
  }
}
