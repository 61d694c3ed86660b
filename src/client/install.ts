import * as fs from 'node:fs';
import * as os from 'node:os';
import type { Clock } from '../core/clock';
import type { ConnectTo } from '../core/connect-to';
import { CcmlabError } from '../core/errors';
import { closeClientLogs, openClientLogs, rotationLine } from './client-logs';
import { acquireSetupLock, isInstalled, loadClient, removeClient, saveClient, tokenInfo, type ClientConfig, type ClientState } from './client-state';
import { enroll, type Bearer } from './enroll';
import { newSmsid } from '../protocol/smsid';
import { createCertificates, identityOf } from './identity';
import { MpSession, type Route } from './mp-session';
import type { SetupCommand } from './setup-command';
import type { SetupLog } from './setup-log';
import { ClientHttp } from './transport';

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
  connectTo: ConnectTo[];
  caFile: string | undefined;
  clock: Clock;
  setupLog: SetupLog;
  retryMs?: number;
}

export interface InstallResult {
  action: 'installed' | 'pending-approval' | 'uninstalled' | 'not-installed' | 'nothing-to-do';
  state?: ClientState;
  rotationLine?: string;
}

export function readCaFile(file: string): string {
  let pem: string;
  try {
    pem = fs.readFileSync(file, 'utf8');
  } catch (error) {
    throw new CcmlabError('CCMSETUP_E_BAD_CA_FILE', `--ca-file ${file} cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}); give the site's rootCaFile ('ccmlab site show --json')`);
  }
  if (!pem.includes('-----BEGIN CERTIFICATE-----')) {
    throw new CcmlabError('CCMSETUP_E_BAD_CA_FILE', `--ca-file ${file} holds no PEM certificate; give the site's rootCaFile ('ccmlab site show --json')`);
  }
  return pem;
}

/** The CMG's origin as the admin wrote it (URL would lower-case the name; logs keep it). */
export function cmgOrigin(cmg: { url: string }): string {
  return /^https:\/\/[^/]+/.exec(cmg.url)?.[0] ?? cmg.url;
}

export async function install(options: InstallOptions): Promise<InstallResult> {
  const release = acquireSetupLock(options.clientDir);
  try {
    return await installLocked(options);
  } finally {
    release();
  }
}

async function installLocked(options: InstallOptions): Promise<InstallResult> {
  const { command, clock, setupLog } = options;
  const log = setupLog.log;
  let existing = isInstalled(options.clientDir) ? loadClient(options.clientDir) : undefined;
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
  if (existing && command.parameters.forceinstall === true) {
    log.info(`/forceinstall: removing the installed client ${existing.config.smsid} before installing afresh.`);
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
  const http = new ClientHttp({ connectTo, ca: trustedRoot ?? undefined });
  try {
    const session = new MpSession({ http, logs, clock, route, identity: identityOf(smsid, options.netbios, fqdn, certs.signing, certs.encryption), retryMs: options.retryMs });
    log.info(internet ? `Registering through the CMG ${route.kind === 'cmg' ? route.origin : ''} (MP role ID ${command.cmg?.roleId ?? ''}).` : `Registering with the management point ${session.mpBase}.`);
    const resetKeys = command.resetKeyInformation;
    if (resetKeys && existing?.config.mpKeyInformation) log.info('RESETKEYINFORMATION=TRUE: dropping the MP key information this client kept.');
    const result = await enroll({ session, bearer, gatewayLog: log, internet, keyInformation: resetKeys ? null : (existing?.config.mpKeyInformation ?? null) });
    const now = clock.now().toISOString();
    const internetMp = command.ccmHostName !== null && command.cmg ? `https://${command.ccmHostName}` : (command.cmg?.url ?? null);
    const config: ClientConfig = {
      schemaVersion: 1,
      smsid: result.smsid,
      netbios: options.netbios,
      fqdn,
      siteCode: command.siteCode && command.siteCode !== 'AUTO' ? command.siteCode : result.registered ? result.siteCode : (existing?.config.siteCode ?? ''),
      assignedMp: intranetMp?.url ?? existing?.config.assignedMp ?? null,
      internetMp,
      cmg: command.cmg ? { url: command.cmg.url, roleId: command.cmg.roleId } : (existing?.config.cmg ?? null),
      location: internet ? 'internet' : 'intranet',
      registeredBy: bearer.kind === 'bulk' ? 'bulk-token' : (existing?.config.registeredBy ?? 'intranet'),
      registration: result.registered ? 'registered' : 'pending',
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
