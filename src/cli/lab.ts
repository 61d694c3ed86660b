import * as fs from 'node:fs';
import * as path from 'node:path';
import { install, type InstallResult } from '../client/install';
import { parseSetupCommand } from '../client/setup-command';
import { SetupLog } from '../client/setup-log';
import type { Clock } from '../core/clock';
import { parseConnectTo } from '../core/connect-to';
import { CcmlabError } from '../core/errors';
import { makeDirectory } from '../store/files';
import { createBulkToken } from '../site/bulk-tokens';
import { initSite } from '../site/site-dir';
import { startSite, type RunningSite } from '../site/site-server';
import { writeFileAtomic } from '../store/atomic-file';
import { withSite } from './site-options';

/**
 * An embedded lab for `ccmlab demo` and `ccmlab fleet`: a fresh directory, the site of
 * the source article (site ABC, CMG CONTOSO.CLOUDAPP.NET, role ID 72186325152220500)
 * running in-process on loopback, and a bulk registration token.
 */

export const ARTICLE_CMG = 'CONTOSO.CLOUDAPP.NET';
export const ARTICLE_ROLE_ID = '72186325152220500';
const MARKER = '.ccmlab-lab';

export interface EmbeddedLab {
  dir: string;
  siteDir: string;
  siteLogs: string;
  rootCaFile: string;
  site: RunningSite;
  token: string;
  tokenGuid: string;
  tokenValidTo: string;
}

/** Empties `dir` if an earlier lab made it; refuses any other non-empty directory. */
export function freshLab(dir: string): void {
  if (fs.existsSync(dir)) {
    if (!fs.existsSync(path.join(dir, MARKER)) && fs.readdirSync(dir).length > 0) {
      throw new CcmlabError('CCMLAB_E_SITE_EXISTS', `${dir} exists and is not a ccmlab lab; choose another --lab-dir`);
    }
    fs.rmSync(dir, { recursive: true, force: true });
  }
  makeDirectory(dir, { label: 'lab directory', code: 'CCMLAB_E_STATE_WRITE', fix: 'give a --lab-dir that can be created and written to' });
  writeFileAtomic(path.join(dir, MARKER), 'made by ccmlab; removed and made again by the next demo or fleet run here\n');
}

export async function startEmbeddedLab(dir: string, clock: Clock, tokenLifetimeMinutes: number): Promise<EmbeddedLab> {
  freshLab(dir);
  const siteDir = path.join(dir, 'site');
  const siteLogs = path.join(dir, 'logs', 'site');
  await initSite({ dir: siteDir, siteCode: 'ABC', mpName: 'mp01.contoso.com', cmgName: ARTICLE_CMG, roleId: ARTICLE_ROLE_ID, passive: false, force: false, clock });
  const site = await startSite({ siteDir, host: '127.0.0.1', mpPort: 0, mpHttpsPort: 0, cmgPort: 0, logDir: siteLogs, clock });
  try {
    const { token, record } = withSite({ 'site-dir': siteDir, 'log-dir': siteLogs }, (opened) => createBulkToken(opened, tokenLifetimeMinutes, clock.now()));
    return { dir, siteDir, siteLogs, rootCaFile: path.join(siteDir, 'pki', 'sms-issuing.pem'), site, token, tokenGuid: record.guid, tokenValidTo: record.validTo };
  } catch (error) {
    await site.stop();
    throw error;
  }
}

/** The article's ccmsetup command line for this token. */
export function articleCommandLine(token: string): string[] {
  const cmg = `${ARTICLE_CMG}/CCM_Proxy_MutualAuth/${ARTICLE_ROLE_ID}`;
  return [`/mp:https://${cmg}`, `CCMHOSTNAME=${cmg}`, 'SMSSiteCode=ABC', `/regtoken:${token}`];
}

export interface EnrollmentRun {
  result: InstallResult;
  clientDir: string;
  logDir: string;
}

/** One client through ccmsetup in-process, with its own ccmsetup.log, as the CLI would run it. */
export async function runCcmsetup(
  lab: EmbeddedLab,
  netbios: string,
  clock: Clock,
  options: { retryMs?: number } = {},
): Promise<EnrollmentRun> {
  const { command, regToken } = parseSetupCommand(articleCommandLine(lab.token));
  const clientDir = path.join(lab.dir, 'clients', netbios);
  const logDir = path.join(lab.dir, 'logs', 'clients', netbios);
  const setupLog = new SetupLog(logDir, clock);
  setupLog.started(command.commandLine);
  setupLog.commandAccepted(command);
  try {
    const result = await install({
      command,
      regToken,
      clientDir,
      logDir,
      netbios,
      connectTo: [parseConnectTo(`${ARTICLE_CMG}:443:127.0.0.1:${new URL(lab.site.ready.cmg).port}`)],
      caFile: lab.rootCaFile,
      clock,
      setupLog,
      retryMs: options.retryMs,
    });
    setupLog.exiting(0);
    return { result, clientDir, logDir };
  } catch (error) {
    if (error instanceof CcmlabError) setupLog.refused(error);
    throw error;
  } finally {
    await setupLog.log.close();
  }
}
