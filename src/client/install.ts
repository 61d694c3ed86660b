import * as os from 'node:os';
import type { Clock } from '../core/clock';
import type { ConnectTo } from '../core/connect-to';
import { printable } from '../core/text';
import { CcmlabError, isCcmlabError, logTextOf } from '../core/errors';
import { readBoundedText } from '../store/files';
import type { StateStore } from '../store/state-store';
import { closeClientLogs, openClientLogs, rotationLine, type ClientLogs } from './client-logs';
import {
  acquireSetupLock,
  isInstalled,
  loadClient,
  refuseCertsLink,
  removeClient,
  saveClient,
  type ClientState,
  type KeyedCertificate,
} from './client-state';
import { enroll, timed, type EnrollResult, type PhaseTimer } from './enroll';
import { configAfterInstall, planInstall, type InstallPlan } from './install-plan';
import { messageTime } from '../protocol/jwt';
import { newSmsid } from '../protocol/smsid';
import { createCertificates, identityOf } from './identity';
import { MpSession } from './mp-session';
import type { CmLog } from '../log/logger';
import type { SetupCommand } from './setup-command';
import type { SetupLog } from './setup-log';
import { ClientHttp, type TransportOptions } from './transport';
import { NO_ENVIRONMENT, type NetworkEnvironment } from '../world/environment';
import { CLIENT_DIR, CLIENT_LOG_DIR } from '../world/windows-machine';

/**
 * ccmsetup's work after the command line is accepted: the client's identity, registration
 * through the CMG with the bulk token (or on the intranet), the unique token, the logs.
 * Nothing is written to the client dir until it all succeeded, so a failure leaves the
 * client as it was.
 */

export interface InstallOptions {
  command: SetupCommand;
  regToken: string | undefined;
  clientDir: string;
  logDir: string;
  netbios: string;
  /** --connect-to entries the client keeps, and --ca-file: both win over the lab's names and roots. */
  connectTo: ConnectTo[];
  caFile: string | undefined;
  /** The lab's names and trusted roots (empty outside a lab). */
  environment?: NetworkEnvironment;
  clock: Clock;
  setupLog: SetupLog;
  retryMs?: number;
  /**
   * The identity to install when no client is installed (the fleet fixes each client's
   * identity on disk before its first request, so a retry registers the same SMSID and key).
   */
  identity?: ClientIdentity;
  /** false: no client logs are written (ccmlab fleet --logs none). */
  writeLogs?: boolean;
  /** Where the client state is written: ccmsetup's syncs each file; the fleet's shares rounds of fsyncs among its clients. */
  store?: StateStore;
  onPhase?: PhaseTimer;
}

/** What makes a client itself: its SMSID and its two certificates with their keys. */
export interface ClientIdentity {
  smsid: string;
  signing: KeyedCertificate;
  encryption: KeyedCertificate;
}

export interface InstallResult {
  action: 'installed' | 'pending-approval' | 'unassigned' | 'uninstalled' | 'not-installed' | 'nothing-to-do';
  state?: ClientState;
  rotationLine?: string;
}

const MAX_CA_FILE_BYTES = 1024 * 1024;

/** The root a client trusts of its own, and whether it is the only one (--ca-file given to this command). */
export interface ClientTrust {
  root: string | null;
  only: boolean;
}

/** --ca-file, trusted alone; else the root the client kept (beside the lab's). */
export function clientTrust(caFile: string | undefined, kept: string | null): ClientTrust {
  return caFile !== undefined ? { root: readCaFile(caFile), only: true } : { root: kept, only: false };
}

export function readCaFile(file: string): string {
  const pem = readBoundedText(file, MAX_CA_FILE_BYTES, {
    label: '--ca-file',
    code: 'CCMSETUP_E_BAD_CA_FILE',
    fix: "give the site's rootCaFile ('ccmlab site show --json')",
  });
  if (!pem.includes('-----BEGIN CERTIFICATE-----')) {
    throw new CcmlabError(
      'CCMSETUP_E_BAD_CA_FILE',
      `--ca-file ${file} holds no PEM certificate; give the site's rootCaFile ('ccmlab site show --json')`,
    );
  }
  return pem;
}

/**
 * Site assignment failed: installed, unmanaged, no registration (the docs: an unknown site
 * code leaves the client installed but unassigned). No current-branch line is published:
 * these are ccmlab's, in the style of LocationServices' LSVerify lines.
 */
function siteAssignmentFailed(logs: ClientLogs, setupLog: CmLog, wanted: string, served: string, mp: string): void {
  logs.locationServices.info(`LSVerifySiteVersion : Verifying site code <${wanted}> with management point '${mp}'`);
  logs.locationServices.error(
    `LSVerifySiteVersion : The management point '${mp}' serves site <${printable(served, 16)}>, not <${wanted}>. Site code <${wanted}> is not valid for this client.`,
  );
  logs.location.error(
    `Failed to assign the client to site <${wanted}> (SMSCLIENT_E_INVALIDSITECODE). The client is installed but not assigned to a site; it will not register or receive policy.`,
  );
  setupLog.warn(
    `The client is installed, but its assignment to site ${wanted} failed: its management point serves site ${printable(served, 16)}.`,
  );
}

/**
 * The client's network: its own redirections and root first, then what the lab resolves and
 * trusts. A root given with --ca-file is trusted alone, as curl's --cacert is.
 */
export function transportFor(
  connectTo: readonly ConnectTo[],
  trust: ClientTrust,
  environment: NetworkEnvironment = NO_ENVIRONMENT,
  crlCheck?: { now: () => Date },
): TransportOptions {
  const roots = [...(trust.root ? [trust.root] : []), ...(trust.only ? [] : environment.roots)];
  return {
    connectTo: [...connectTo, ...environment.names],
    ca: roots.length > 0 ? roots : undefined,
    blocked: environment.blocked,
    crlCheck,
  };
}

export async function install(options: InstallOptions): Promise<InstallResult> {
  // With no client installed, /uninstall touches nothing in the client dir, not even a lock.
  if (options.command.mode === 'uninstall' && !isInstalled(options.clientDir)) return nothingToUninstall(options);
  const release = acquireSetupLock(options.clientDir);
  try {
    return await installLocked(options);
  } finally {
    release();
  }
}

/**
 * The client already installed, if any. /uninstall and /forceinstall remove it, so damaged
 * state does not stop them: they are the way back from it.
 */
function existingClient(options: InstallOptions, removing: boolean): ClientState | undefined {
  if (!isInstalled(options.clientDir)) return undefined;
  try {
    return loadClient(options.clientDir);
  } catch (error) {
    if (!removing || !isCcmlabError(error) || error.code !== 'CCMCLIENT_E_CORRUPT_STATE') throw error;
    options.setupLog.log.warn(`The installed client's state is damaged (${logTextOf(error)}); removing it.`);
    return undefined;
  }
}

async function installLocked(options: InstallOptions): Promise<InstallResult> {
  const { command, setupLog } = options;
  const log = setupLog.log;
  const installed = isInstalled(options.clientDir);
  const existing = existingClient(options, command.parameters.forceinstall === true || command.mode === 'uninstall');
  const plan = planInstall(command, existing, installed, options.regToken);
  if (!existing && plan.kind !== 'uninstall') log.info('No version of the client is currently detected.');
  if (plan.kind === 'uninstall') {
    // Uninstalled meanwhile (by another ccmsetup before this one took the lock): nothing to remove.
    if (!installed) return nothingToUninstall(options);
    removeClient(options.clientDir);
    log.info(`Client uninstalled from ${CLIENT_DIR}; its logs are kept in ${CLIENT_LOG_DIR}.`);
    return { action: 'uninstalled' };
  }
  if (plan.kind === 'nothing-to-do') {
    log.info(`A client (${plan.existing.config.smsid}) is already installed and /logon was given: nothing to do.`);
    return { action: 'nothing-to-do', state: plan.existing };
  }
  // What can refuse the install (the --ca-file, a client log that cannot be written, a link for certs/) does so
  // before /forceinstall removes anything and before the site hears of the client.
  if (!plan.removeFirst) refuseCertsLink(options.clientDir);
  const trust = clientTrust(options.caFile, plan.keep?.trustedRoot ?? null);
  const logs = openClientLogs(
    options.logDir,
    options.writeLogs === false ? { ...command.logSettings, enabled: false } : command.logSettings,
    options.clock,
  );
  try {
    if (plan.removeFirst) {
      log.info(
        `/forceinstall: removing the installed client ${existing?.config.smsid ?? ''} before installing afresh.`,
      );
      removeClient(options.clientDir);
    }
    return await enrollAndSave(options, plan, trust, logs);
  } finally {
    await closeClientLogs(logs);
  }
}

function nothingToUninstall(options: InstallOptions): InstallResult {
  options.setupLog.log.info(`No client is installed in ${CLIENT_DIR}; nothing to uninstall.`);
  return { action: 'not-installed' };
}

/** The install itself: identity, enrollment, client state, and the lines that report it. */
async function enrollAndSave(
  options: InstallOptions,
  plan: Extract<InstallPlan, { kind: 'install' }>,
  trust: ClientTrust,
  logs: ClientLogs,
): Promise<InstallResult> {
  const { command, clock, setupLog } = options;
  const log = setupLog.log;
  const given = plan.keep
    ? { smsid: plan.keep.config.smsid, signing: plan.keep.signing, encryption: plan.keep.encryption }
    : options.identity;
  log.info(
    given
      ? `Keeping the client's identity ${given.smsid} and its certificates.`
      : 'Creating the self-signed signing and encryption certificates (RSA 2048, SHA-256).',
  );
  const identityCerts = given
    ? { signing: given.signing, encryption: given.encryption }
    : await timed('keys', options.onPhase, () => createCertificates(clock));
  const smsid = given?.smsid ?? newSmsid();
  const fqdn = `${options.netbios.toLowerCase()}.${os.hostname().split('.').slice(1).join('.') || 'lab.test'}`;
  // As WinHTTP does unless /NoCRLCheck: server certificates are checked against their CRLs.
  const crlCheck = command.parameters.NoCRLCheck === true ? undefined : { now: () => clock.now() };
  if (crlCheck && plan.route.kind === 'cmg') log.info('Enabled SSL revocation check.');
  const http = new ClientHttp(transportFor(options.connectTo, trust, options.environment, crlCheck));
  try {
    const session = new MpSession({
      http,
      logs,
      clock,
      route: plan.route,
      identity: identityOf(smsid, options.netbios, fqdn, identityCerts.signing, identityCerts.encryption),
      retryMs: options.retryMs,
    });
    log.info(
      plan.route.kind === 'cmg'
        ? `Registering through the CMG ${plan.route.origin} (MP role ID ${plan.route.roleId}).`
        : `Registering with the management point ${session.mpBase}.`,
    );
    if (plan.resetKeys && plan.keep?.config.mpKeyInformation)
      log.info('RESETKEYINFORMATION=TRUE: dropping the MP key information this client kept.');
    const keyInformation = plan.resetKeys ? null : (plan.keep?.config.mpKeyInformation ?? null);
    const result = await enroll({
      session,
      bearer: plan.bearer,
      gatewayLog: log,
      internet: plan.internet,
      keyInformation,
      siteCode: command.siteCode === 'AUTO' ? null : command.siteCode,
      onPhase: options.onPhase,
    });
    const config = configAfterInstall({
      command,
      plan,
      result,
      netbios: options.netbios,
      fqdn,
      connectTo: options.connectTo,
      logDir: options.logDir,
      logSettings: command.logSettings,
      now: clock.now().toISOString(),
    });
    const state: ClientState = {
      config,
      ...identityCerts,
      trustedRoot: trust.root,
      token: result.registered ? result.token : null,
    };
    await saveClient(options.clientDir, state, options.store);
    return reportInstall(logs, log, state, result, session.mpBase);
  } finally {
    await http.close();
  }
}

function reportInstall(
  logs: ClientLogs,
  log: CmLog,
  state: ClientState,
  result: EnrollResult,
  mpBase: string,
): InstallResult {
  const { config } = state;
  if (!result.registered && result.assigned === false) {
    siteAssignmentFailed(logs, log, config.siteCode, result.mpSiteCode, mpBase);
    return { action: 'unassigned', state };
  }
  if (!result.registered) {
    log.warn(`Client ${result.smsid} is installed but its registration is pending approval.`);
    return { action: 'pending-approval', state };
  }
  if (config.assignedMp) logs.location.info(`Assigned MP changed from <> to <${new URL(config.assignedMp).host}>.`);
  const line = config.internetMp ? rotationLine(config.internetMp) : undefined;
  if (line) logs.location.info(line);
  if (config.location === 'internet' && config.cmg) {
    log.info(`Found a valid online MP '${config.cmg.url}'.`);
    log.info('CCMSETUP bootstrap from Internet: 1');
  }
  const token = config.token;
  log.info(
    `Client ${result.smsid} is registered${token ? `; its CCM token is valid until ${messageTime(token.expiresAt)}, renewal due ${messageTime(token.renewalDue)}` : ''}.`,
  );
  return { action: 'installed', state, rotationLine: line };
}
