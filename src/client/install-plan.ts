import { CcmlabError } from '../core/errors';
import type { ConnectTo } from '../core/connect-to';
import type { LogSettings } from '../log/logger';
import { tokenInfo, type ClientConfig, type ClientState } from './client-state';
import type { Bearer, EnrollResult } from './enroll';
import type { Route } from './mp-session';
import type { SetupCommand } from './setup-command';

/**
 * What ccmsetup does with an accepted command line and the client already there, decided
 * without I/O: uninstall, nothing (/logon), or an install (afresh or keeping the identity),
 * with its route, its bearer, and the client.json it leaves.
 */

export type InstallPlan =
  | { kind: 'uninstall' }
  | { kind: 'nothing-to-do'; existing: ClientState }
  | {
      kind: 'install';
      removeFirst: boolean;
      keep: ClientState | undefined;
      route: Route;
      bearer: Bearer;
      internet: boolean;
      resetKeys: boolean;
    };

/** The CMG's origin as the admin wrote it (URL would lower-case the name; logs keep it). */
export function cmgOrigin(cmg: { url: string }): string {
  return /^https:\/\/[^/]+/.exec(cmg.url)?.[0] ?? cmg.url;
}

export function planInstall(
  command: SetupCommand,
  existing: ClientState | undefined,
  installed: boolean,
  regToken: string | undefined,
): InstallPlan {
  if (command.mode === 'uninstall') return { kind: 'uninstall' };
  if (existing && command.parameters.logon === true) return { kind: 'nothing-to-do', existing };
  const removeFirst = command.parameters.forceinstall === true && installed;
  const keep = removeFirst ? undefined : existing;
  if (command.mode === 'internet-pki') {
    throw new CcmlabError(
      'CCMSETUP_E_NOT_EMULATED',
      '/UsePKICert installs need a PKI client certificate, which ccmlab does not emulate; use /regtoken through a CMG or an intranet MP',
    );
  }
  const internet = command.mode === 'cmg-bulk-token' || command.mode === 'internet-existing-token';
  let bearer: Bearer = { kind: 'none' };
  if (command.mode === 'cmg-bulk-token') bearer = { kind: 'bulk', token: regToken as string };
  if (command.mode === 'internet-existing-token') {
    if (!keep?.token) {
      throw new CcmlabError(
        'CCMSETUP_E_NO_CLIENT',
        'this command line names only a CMG, and the client has no unique token yet: add /regtoken:<bulk token> or install on the intranet first',
        { logText: 'this command line names only a CMG, and the client has no unique token yet' },
      );
    }
    bearer = { kind: 'client', token: keep.token };
  }
  const intranetMp = command.mp.find((mp) => mp.kind === 'intranet');
  const route: Route =
    internet && command.cmg
      ? { kind: 'cmg', origin: cmgOrigin(command.cmg), roleId: command.cmg.roleId }
      : { kind: 'intranet', mp: (intranetMp ?? command.mp[0]).url };
  return { kind: 'install', removeFirst, keep, route, bearer, internet, resetKeys: command.resetKeyInformation };
}

export interface ConfigInputs {
  command: SetupCommand;
  plan: Extract<InstallPlan, { kind: 'install' }>;
  result: EnrollResult;
  netbios: string;
  fqdn: string;
  connectTo: readonly ConnectTo[];
  logDir: string;
  logSettings: LogSettings;
  now: string;
}

/** The client.json an install leaves: what the command line said, what the site answered, what the client kept. */
export function configAfterInstall(inputs: ConfigInputs): ClientConfig {
  const { command, plan, result } = inputs;
  const kept = plan.keep?.config;
  const given = command.siteCode && command.siteCode !== 'AUTO' ? command.siteCode : undefined;
  return {
    schemaVersion: 1,
    smsid: result.smsid,
    netbios: inputs.netbios,
    fqdn: inputs.fqdn,
    siteCode: given ?? (result.registered ? result.siteCode : null) ?? kept?.siteCode ?? '',
    assignedMp: command.mp.find((mp) => mp.kind === 'intranet')?.url ?? kept?.assignedMp ?? null,
    internetMp: internetMpOf(command),
    cmg: command.cmg ? { url: command.cmg.url, roleId: command.cmg.roleId } : (kept?.cmg ?? null),
    location: plan.internet ? 'internet' : 'intranet',
    registeredBy: plan.bearer.kind === 'bulk' ? 'bulk-token' : (kept?.registeredBy ?? 'intranet'),
    registration: result.registered ? 'registered' : result.assigned === false ? 'unassigned' : 'pending',
    commandLine: command.commandLine,
    token: result.registered ? tokenInfo(result.token) : null,
    mpKeyInformation: result.registered ? result.keyInformation : null,
    connectTo: inputs.connectTo.map((c) => c.text),
    crlCheck: command.parameters.NoCRLCheck !== true,
    logDir: inputs.logDir,
    logSettings: inputs.logSettings,
    installedAt: kept?.installedAt ?? inputs.now,
    updatedAt: inputs.now,
  };
}

/** The internet MP as ClientLocation.log names it: https://<CCMHOSTNAME>, else the CMG of /mp. */
export function internetMpOf(command: SetupCommand): string | null {
  return command.ccmHostName !== null && command.cmg ? `https://${command.ccmHostName}` : (command.cmg?.url ?? null);
}
