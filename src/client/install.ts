import * as os from 'node:os';
import type { Clock } from '../core/clock';
import type { ConnectTo } from '../core/connect-to';
import { printable } from '../core/text';
import { CcmlabError, isCcmlabError } from '../core/errors';
import { readBoundedText } from '../store/files';
import { closeClientLogs, openClientLogs, rotationLine, type ClientLogs } from './client-logs';
import { acquireSetupLock, isInstalled, loadClient, removeClient, saveClient, tokenInfo, type ClientConfig, type ClientState } from './client-state';
import { enroll, type Bearer } from './enroll';
import { newSmsid } from '../protocol/smsid';
import { createCertificates, identityOf } from './identity';
import { MpSession, type Route } from './mp-session';
import type { CmLog } from '../log/logger';
import type { SetupCommand } from './setup-command';
import type { SetupLog } from './setup-log';
import { ClientHttp, type TransportOptions } from './transport';
import { NO_ENVIRONMENT, type NetworkEnvironment } from '../world/environment';

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
}

export interface InstallResult {
  action: 'installed' | 'pending-approval' | 'unassigned' | 'uninstalled' | 'not-installed' | 'nothing-to-do';
  state?: ClientState;
  rotationLine?: string;
}

const MAX_CA_FILE_BYTES = 1024 * 1024;

export function readCaFile(file: string): string {
  const pem = readBoundedText(file, MAX_CA_FILE_BYTES, { label: '--ca-file', code: 'CCMSETUP_E_BAD_CA_FILE', fix: "give the site's rootCaFile ('ccmlab site show --json')" });
  if (!pem.includes('-----BEGIN CERTIFICATE-----')) {
    throw new CcmlabError('CCMSETUP_E_BAD_CA_FILE', `--ca-file ${file} holds no PEM certificate; give the site's rootCaFile ('ccmlab site show --json')`);
  }
  return pem;
}

/** The CMG's origin as the admin wrote it (URL would lower-case the name; logs keep it). */
export function cmgOrigin(cmg: { url: string }): string {
  return /^https:\/\/[^/]+/.exec(cmg.url)?.[0] ?? cmg.url;
}

/**
 * Site assignment failed: installed, unmanaged, no registration (the docs: an unknown site
 * code leaves the client installed but unassigned). No current-branch line is published:
 * these are ccmlab's, in the style of LocationServices' LSVerify lines.
 */
function siteAssignmentFailed(logs: ClientLogs, setupLog: CmLog, wanted: string, served: string, mp: string): void {
  logs.locationServices.info(`LSVerifySiteVersion : Verifying site code <${wanted}> with management point '${mp}'`);
  logs.locationServices.error(`LSVerifySiteVersion : The management point '${mp}' serves site <${printable(served, 16)}>, not <${wanted}>. Site code <${wanted}> is not valid for this client.`);
  logs.location.error(`Failed to assign the client to site <${wanted}> (SMSCLIENT_E_INVALIDSITECODE). The client is installed but not assigned to a site; it will not register or receive policy.`);
  setupLog.warn(`The client is installed, but its assignment to site ${wanted} failed: its management point serves site ${printable(served, 16)}. Reinstall it with SMSSITECODE=${printable(served, 16)} (or AUTO on the intranet).`);
}

/** The client's network: its own redirections and root first, then what the lab resolves and trusts. */
export function transportFor(connectTo: readonly ConnectTo[], trustedRoot: string | null, environment: NetworkEnvironment = NO_ENVIRONMENT): TransportOptions {
  const roots = [...(trustedRoot ? [trustedRoot] : []), ...environment.roots];
  return { connectTo: [...connectTo, ...environment.names], ca: roots.length > 0 ? roots : undefined };
}

export async function install(options: InstallOptions): Promise<InstallResult> {
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
    options.setupLog.log.warn(`The installed client's state is damaged (${error.message}); removing it.`);
    return undefined;
  }
}

async function installLocked(options: InstallOptions): Promise<InstallResult> {
  const { command, clock, setupLog } = options;
  const log = setupLog.log;
  const forceInstall = command.parameters.forceinstall === true;
  let existing = existingClient(options, forceInstall || command.mode === 'uninstall');
  if (command.mode === 'uninstall') {
    removeClient(options.clientDir);
    if (!existing) {
      log.info(`No client is installed in ${options.clientDir}; nothing to uninstall.`);
      return { action: 'not-installed' };
    }
    log.info(`Client uninstalled from ${options.clientDir}; its logs are kept in ${options.logDir}.`);
    return { action: 'uninstalled' };
  }
  if (existing && command.parameters.logon === true) {
    log.info(`A client (${existing.config.smsid}) is already installed and /logon was given: nothing to do.`);
    return { action: 'nothing-to-do', state: existing };
  }
  if (forceInstall && isInstalled(options.clientDir)) {
    log.info(`/forceinstall: removing the installed client ${existing?.config.smsid ?? ''} before installing afresh.`);
    removeClient(options.clientDir);
    existing = undefined;
  }
  if (command.mode === 'internet-pki') {
    throw new CcmlabError('CCMSETUP_E_NOT_EMULATED', '/UsePKICert installs need a PKI client certificate, which ccmlab does not emulate; use /regtoken through a CMG or an intranet MP');
  }
  const trustedRoot = options.caFile !== undefined ? readCaFile(options.caFile) : (existing?.trustedRoot ?? null);
  const connectTo = options.connectTo;
  const intranetMp = command.mp.find((mp) => mp.kind === 'intranet');
  const internet = command.mode === 'cmg-bulk-token' || command.mode === 'internet-existing-token';
  let bearer: Bearer = { kind: 'none' };
  if (command.mode === 'cmg-bulk-token') bearer = { kind: 'bulk', token: options.regToken as string };
  if (command.mode === 'internet-existing-token') {
    if (!existing?.token) {
      throw new CcmlabError('CCMSETUP_E_NO_CLIENT', 'this command line names only a CMG, and the client has no unique token yet: add /regtoken:<bulk token> or install on the intranet first');
    }
    bearer = { kind: 'client', token: existing.token };
  }
  const route: Route = internet && command.cmg ? { kind: 'cmg', origin: cmgOrigin(command.cmg), roleId: command.cmg.roleId } : { kind: 'intranet', mp: (intranetMp ?? command.mp[0]).url };

  let certs = existing ? { signing: existing.signing, encryption: existing.encryption } : undefined;
  if (!certs) {
    log.info('Creating the self-signed signing and encryption certificates (RSA 2048, SHA-256).');
    certs = await createCertificates(clock);
  } else {
    log.info(`Keeping the client's identity ${existing?.config.smsid} and its certificates.`);
  }
  const smsid = existing?.config.smsid ?? newSmsid();
  const fqdn = `${options.netbios.toLowerCase()}.${os.hostname().split('.').slice(1).join('.') || 'lab.test'}`;
  const logs = openClientLogs(options.logDir, command.logSettings, clock);
  const http = new ClientHttp(transportFor(connectTo, trustedRoot, options.environment));
  try {
    const session = new MpSession({ http, logs, clock, route, identity: identityOf(smsid, options.netbios, fqdn, certs.signing, certs.encryption), retryMs: options.retryMs });
    log.info(internet ? `Registering through the CMG ${route.kind === 'cmg' ? route.origin : ''} (MP role ID ${command.cmg?.roleId ?? ''}).` : `Registering with the management point ${session.mpBase}.`);
    const resetKeys = command.resetKeyInformation;
    if (resetKeys && existing?.config.mpKeyInformation) log.info('RESETKEYINFORMATION=TRUE: dropping the MP key information this client kept.');
    const result = await enroll({ session, bearer, gatewayLog: log, internet, keyInformation: resetKeys ? null : (existing?.config.mpKeyInformation ?? null), siteCode: command.siteCode === 'AUTO' ? null : command.siteCode });
    const now = clock.now().toISOString();
    const internetMp = command.ccmHostName !== null && command.cmg ? `https://${command.ccmHostName}` : (command.cmg?.url ?? null);
    const config: ClientConfig = {
      schemaVersion: 1,
      smsid: result.smsid,
      netbios: options.netbios,
      fqdn,
      siteCode: command.siteCode && command.siteCode !== 'AUTO' ? command.siteCode : ((result.registered ? result.siteCode : null) ?? existing?.config.siteCode ?? ''),
      assignedMp: intranetMp?.url ?? existing?.config.assignedMp ?? null,
      internetMp,
      cmg: command.cmg ? { url: command.cmg.url, roleId: command.cmg.roleId } : (existing?.config.cmg ?? null),
      location: internet ? 'internet' : 'intranet',
      registeredBy: bearer.kind === 'bulk' ? 'bulk-token' : (existing?.config.registeredBy ?? 'intranet'),
      registration: result.registered ? 'registered' : result.assigned === false ? 'unassigned' : 'pending',
      commandLine: command.commandLine,
      token: result.registered ? tokenInfo(result.token) : null,
      mpKeyInformation: result.registered ? result.keyInformation : null,
      connectTo: connectTo.map((c) => c.text),
      logDir: options.logDir,
      logSettings: command.logSettings,
      installedAt: existing?.config.installedAt ?? now,
      updatedAt: now,
    };
    const state: ClientState = { config, ...certs, trustedRoot, token: result.registered ? result.token : null };
    saveClient(options.clientDir, state);
    if (!result.registered && result.assigned === false) {
      siteAssignmentFailed(logs, log, command.siteCode as string, result.mpSiteCode, session.mpBase);
      return { action: 'unassigned', state };
    }
    if (!result.registered) {
      log.warn(`Client ${result.smsid} is installed but its registration is pending approval; approve it on the site ('ccmlab site clients approve ${result.smsid}'), then run 'ccmlab client start'.`);
      return { action: 'pending-approval', state };
    }
    if (config.assignedMp) logs.location.info(`Assigned MP changed from <> to <${new URL(config.assignedMp).host}>.`);
    let line: string | undefined;
    if (internetMp) {
      line = rotationLine(internetMp);
      logs.location.info(line);
    }
    log.info(`Client ${result.smsid} is registered; its CCM token is valid until ${config.token?.expiresAt}, renewal due ${config.token?.renewalDue}.`);
    return { action: 'installed', state, rotationLine: line };
  } finally {
    await http.close();
    await closeClientLogs(logs);
  }
}
