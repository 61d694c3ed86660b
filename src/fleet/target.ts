import * as path from 'node:path';
import { tokenEnrollmentSetup, type ParsedSetup } from '../client/setup-command';
import type { Clock } from '../core/clock';
import { CcmlabError, isCcmlabError } from '../core/errors';
import { hostNameDefect } from '../core/host-name';
import { cmgHostName } from '../protocol/cmg-address';
import { ARTICLE_CMG, ARTICLE_ROLE_ID, ARTICLE_SITE_CODE } from '../orchestration/embedded-lab';
import { issueToolToken } from '../site/token-tool';
import { DEFAULT_LIFETIME_MINUTES } from '../site/bulk-tokens';
import { openSite } from '../site/site-dir';
import { runningSitePid } from '../site/site-instance';
import { openSiteLog } from '../site/site-logs';
import { readBoundedText } from '../store/files';
import type { Lab } from '../world/lab';
import { commandClock } from '../world/lab-clock';
import { checkNames, parseNamePattern } from './names';

/**
 * Which site a fleet enrolls into, and with what:
 * - `lab`: a lab with a running site (`--lab`, or the default lab when its site runs). Its
 *   names, roots and clock serve every client as they serve ccmsetup, and unless a bulk token
 *   is given the fleet issues one as BulkRegistrationTokenTool /new does; CMG and site code
 *   come from the site's configuration.
 * - `site`: any running site, given `--regtoken` (or `--regtoken-file`), `--cmg` and
 *   `--site-code`, with `--connect-to` and `--ca-file` as ccmsetup takes them.
 * - `embedded`: neither: the fleet dir is a lab of its own with the source article's site,
 *   started in-process for the run (and kept, so a rerun enrolls into the same site).
 */

export type FleetMode = 'lab' | 'site' | 'embedded';

export interface ModeFacts {
  labGiven: boolean;
  labRoot: string;
  siteRunning: boolean;
  token: boolean;
  cmg: boolean;
}

export function chooseMode(facts: ModeFacts): FleetMode {
  if (facts.siteRunning) return 'lab';
  if (facts.token && facts.cmg) return 'site';
  if (facts.token)
    throw new CcmlabError(
      'CCMLAB_E_BAD_OPTION',
      '--regtoken needs --cmg NAME/CCM_Proxy_MutualAuth/<role ID> (and --site-code) to say where the clients enroll',
    );
  if (facts.cmg)
    throw new CcmlabError(
      'CCMLAB_E_BAD_OPTION',
      '--cmg needs --regtoken or --regtoken-file: the bulk token the clients enroll with',
    );
  if (facts.labGiven) {
    throw new CcmlabError(
      'CCMLAB_E_BAD_OPTION',
      `the lab ${facts.labRoot} (--lab or CCMLAB_LAB) has no running site; start it ('ccmlab site init --lab ${facts.labRoot}' first if it has none, then 'ccmlab site start --lab ${facts.labRoot} --detach'), give --regtoken and --cmg, or leave out --lab and CCMLAB_LAB for a fleet with an embedded lab of its own`,
    );
  }
  return 'embedded';
}

function siteRunsIn(lab: Lab): boolean {
  return runningSitePid(lab.siteDir) !== undefined;
}

const CMG_FORM = /^([^/]+)\/CCM_Proxy_MutualAuth\/(\d{1,20})$/i;

/** `--cmg` as CCMHOSTNAME takes it: `NAME/CCM_Proxy_MutualAuth/<role ID>`. */
export function checkCmg(cmg: string): string {
  const match = CMG_FORM.exec(cmg);
  const defect = match ? hostNameDefect(match[1]) : 'is not NAME/CCM_Proxy_MutualAuth/<role ID>';
  if (defect)
    throw new CcmlabError(
      'CCMLAB_E_BAD_OPTION',
      `--cmg '${cmg}' ${match ? `names a host that ${defect}` : defect}; write it like CONTOSO.CLOUDAPP.NET/CCM_Proxy_MutualAuth/72186325152220500`,
    );
  return cmg;
}

/** The settings every client runs ccmsetup with (the source article's command line), checked once before any client starts. */
export function clientSettings(cmg: string, siteCode: string, token: string): ParsedSetup {
  try {
    return tokenEnrollmentSetup(cmg, siteCode, token);
  } catch (error) {
    if (!isCcmlabError(error)) throw error;
    throw new CcmlabError(
      'CCMLAB_E_BAD_OPTION',
      `the clients' ccmsetup command line would be refused: ${error.message}`,
    );
  }
}

const MAX_TOKEN_FILE_BYTES = 64 * 1024;

/** `--regtoken` or the bulk token alone in `--regtoken-file` (read once, bounded; never written anywhere). */
function givenToken(regToken: string | undefined, regTokenFile: string | undefined): string | undefined {
  if (regTokenFile === undefined) return regToken;
  const text = readBoundedText(regTokenFile, MAX_TOKEN_FILE_BYTES, {
    label: '--regtoken-file',
    code: 'CCMLAB_E_FILE_UNREADABLE',
    fix: 'give a file holding the bulk token alone (line 5 of BulkRegistrationTokenTool /new)',
  }).trim();
  if (text === '' || /\s/.test(text)) {
    throw new CcmlabError(
      'CCMLAB_E_BAD_OPTION',
      `--regtoken-file ${regTokenFile} does not hold one bulk token alone; give a file with the token's one line (line 5 of BulkRegistrationTokenTool /new)`,
    );
  }
  return text;
}

interface SiteFacts {
  cmg: string;
  siteCode: string;
  siteLogs: string | null;
}

/** The CMG and site code of the lab's site, as the site was made. */
function labSiteFacts(lab: Lab): SiteFacts {
  const site = openSite(lab.siteDir);
  try {
    return {
      cmg: cmgHostName(site.config.cmgName, site.config.roleId),
      siteCode: site.config.siteCode,
      siteLogs: path.resolve(lab.siteLogDir),
    };
  } finally {
    site.close();
  }
}

function siteFacts(mode: FleetMode, envLab: Lab, options: TargetOptions): SiteFacts {
  if (mode === 'lab') return labSiteFacts(envLab);
  if (mode === 'embedded')
    return {
      cmg: cmgHostName(ARTICLE_CMG, ARTICLE_ROLE_ID),
      siteCode: ARTICLE_SITE_CODE,
      siteLogs: path.resolve(envLab.siteLogDir),
    };
  if (options.siteCode === undefined)
    throw new CcmlabError(
      'CCMLAB_E_BAD_OPTION',
      "--regtoken with --cmg needs --site-code: the code of the site behind that CMG (ccmsetup's SMSSITECODE)",
    );
  return { cmg: options.cmg ?? '', siteCode: options.siteCode, siteLogs: null };
}

export interface TargetOptions {
  lab: Lab;
  labGiven: boolean;
  fleetDir: string;
  count: number;
  namePattern: string | undefined;
  regToken: string | undefined;
  regTokenFile: string | undefined;
  cmg: string | undefined;
  siteCode: string | undefined;
  now: string | undefined;
}

/** Where a fleet's clients enroll and with what. */
export interface Target {
  mode: FleetMode;
  /** The lab whose names, roots and clock the clients use (the fleet dir itself when embedded). */
  envLab: Lab;
  clock: Clock;
  cmg: string;
  siteCode: string;
  siteLogs: string | null;
  /**
   * The clients' settings with the bulk token given, checked (in memory only: the fleet never
   * writes the token); undefined: the lab's site issues a token when the run starts.
   */
  settings: ParsedSetup | undefined;
}

/** The fleet's target, every option checked before anything is written. */
export function aimFleet(options: TargetOptions, fleetLab: Lab): Target {
  const token = givenToken(options.regToken, options.regTokenFile);
  const mode = chooseMode({
    labGiven: options.labGiven,
    labRoot: options.lab.root,
    siteRunning: siteRunsIn(options.lab),
    token: token !== undefined,
    cmg: options.cmg !== undefined,
  });
  if (options.cmg !== undefined) checkCmg(options.cmg);
  if (options.namePattern !== undefined) checkNames(parseNamePattern(options.namePattern), options.count);
  const envLab = mode === 'embedded' ? fleetLab : options.lab;
  const facts = siteFacts(mode, envLab, options);
  const cmg = options.cmg ?? facts.cmg;
  const siteCode = options.siteCode ?? facts.siteCode;
  return {
    mode,
    envLab,
    clock: commandClock(options.now, envLab),
    cmg,
    siteCode,
    siteLogs: facts.siteLogs,
    settings: token !== undefined ? clientSettings(cmg, siteCode, token) : undefined,
  };
}

/** A bulk token from the lab's site, issued and logged as BulkRegistrationTokenTool /new issues one; kept in memory only. */
export async function issueLabToken(lab: Lab, clock: Clock): Promise<string> {
  const log = openSiteLog(lab.siteLogDir, 'BulkRegistrationTokenTool', clock, 'BulkRegistrationTokenTool.cs');
  const site = openSite(lab.siteDir);
  try {
    return issueToolToken(site, DEFAULT_LIFETIME_MINUTES, clock.now(), log).token;
  } finally {
    site.close();
    await log.close();
  }
}
