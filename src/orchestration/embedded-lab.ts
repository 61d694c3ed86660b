import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Clock } from '../core/clock';
import { CcmlabError } from '../core/errors';
import { decodeText } from '../core/text';
import { parseCmTrace } from '../log/cmtrace-parse';
import { CLIENT_LOG_DEFAULTS } from '../log/log-settings';
import type { KeyPairPem } from '../pki/certificates';
import { createBulkToken } from '../site/bulk-tokens';
import { initSite, openSite, SITE_FILE } from '../site/site-dir';
import { writeFileAtomic } from '../store/atomic-file';
import { removeTree } from '../store/file-writes';
import { makeDirectory, readBoundedFile } from '../store/files';
import { labEnvironment } from '../world/environment';
import { labAt, type Lab } from '../world/lab';
import { trustRoot } from '../world/lab-roots';
import { cmgHostName, tokenEnrollmentCommandLine } from '../protocol/cmg-address';
import { runSetup, type SetupOutcome } from '../client/run-setup';
import { runSite, type SiteInstance } from './run-site';

/**
 * An embedded lab for `ccmlab demo`, `ccmlab fleet enroll` and the bench: a lab root of its
 * own (never the default lab), with the site of the source article (site ABC, CMG
 * CONTOSO.CLOUDAPP.NET, role ID 72186325152220500) running in-process on loopback, its
 * names published and its root trusted in that lab, and a bulk registration token.
 */

export const ARTICLE_CMG = 'CONTOSO.CLOUDAPP.NET';
export const ARTICLE_ROLE_ID = '72186325152220500';
export const ARTICLE_SITE_CODE = 'ABC';
const MARKER = '.ccmlab-lab';

/** The embedded site running in a lab of its own. */
export interface EmbeddedSite {
  lab: Lab;
  dir: string;
  siteDir: string;
  siteLogs: string;
  site: SiteInstance;
}

export interface EmbeddedLab extends EmbeddedSite {
  token: string;
  tokenGuid: string;
  tokenValidTo: string;
}

const LAB_DIR = {
  label: 'lab directory',
  code: 'CCMLAB_E_STATE_WRITE',
  fix: 'give a --lab that can be created and written to',
} as const;

/** Empties `dir` if an earlier lab made it; refuses any other non-empty directory. */
export function freshLab(dir: string): void {
  if (fs.existsSync(dir)) {
    if (!fs.existsSync(path.join(dir, MARKER)) && fs.readdirSync(dir).length > 0) {
      throw new CcmlabError('CCMLAB_E_SITE_EXISTS', `${dir} exists and is not a ccmlab lab; choose another --lab`);
    }
    removeTree(dir, LAB_DIR);
  }
  makeDirectory(dir, LAB_DIR);
  writeFileAtomic(
    path.join(dir, MARKER),
    'made by ccmlab; removed and made again by the next demo or bench run here\n',
  );
}

/**
 * The article's site in the lab rooted at `dir`: made there on first use (kept afterwards,
 * so a fleet reruns against the site that registered its clients), its root trusted in that
 * lab, then run in-process on free loopback ports, its names published there. `keys`: the
 * site's key pairs made beforehand (the bench's), so that none is generated here.
 */
export async function startEmbeddedSite(
  dir: string,
  clock: Clock,
  keys?: readonly KeyPairPem[],
): Promise<EmbeddedSite> {
  const lab = labAt(dir);
  if (!fs.existsSync(path.join(lab.siteDir, SITE_FILE))) {
    await initSite({
      dir: lab.siteDir,
      siteCode: ARTICLE_SITE_CODE,
      mpName: 'mp01.contoso.com',
      cmgName: ARTICLE_CMG,
      roleId: ARTICLE_ROLE_ID,
      passive: false,
      force: false,
      clock,
      keys,
    });
  }
  const opened = openSite(lab.siteDir);
  try {
    trustRoot(lab, 'site-ABC', opened.certificatePem('sms-issuing'));
  } finally {
    opened.close();
  }
  const site = await runSite({
    siteDir: lab.siteDir,
    logDir: lab.siteLogDir,
    host: '127.0.0.1',
    mpPort: 0,
    mpHttpsPort: 0,
    cmgPort: 0,
    lab,
    clock: () => clock,
  });
  return { lab, dir, siteDir: lab.siteDir, siteLogs: lab.siteLogDir, site };
}

/** A fresh embedded lab in `dir` (the demo's and the bench's) with a bulk registration token. */
export async function startEmbeddedLab(
  dir: string,
  clock: Clock,
  tokenLifetimeMinutes: number,
  keys?: readonly KeyPairPem[],
): Promise<EmbeddedLab> {
  freshLab(dir);
  const embedded = await startEmbeddedSite(dir, clock, keys);
  try {
    const opened = openSite(embedded.siteDir);
    try {
      const { token, record } = createBulkToken(opened, tokenLifetimeMinutes, clock.now());
      return { ...embedded, token, tokenGuid: record.guid, tokenValidTo: record.validTo };
    } finally {
      opened.close();
    }
  } catch (error) {
    await embedded.site.stop();
    throw error;
  }
}

/** The article's ccmsetup command line for this token. */
export function articleCommandLine(token: string): string[] {
  return tokenEnrollmentCommandLine(cmgHostName(ARTICLE_CMG, ARTICLE_ROLE_ID), ARTICLE_SITE_CODE, token);
}

/** One client of the embedded lab through ccmsetup in-process, with the article's command line. */
export function runArticleSetup(
  lab: EmbeddedLab,
  netbios: string,
  clock: Clock,
  options: { retryMs?: number } = {},
): Promise<Extract<SetupOutcome, { kind: 'install' }>> {
  return runSetup({
    settings: { argv: articleCommandLine(lab.token) },
    netbios,
    clientDir: lab.lab.clientDir(netbios),
    logDir: lab.lab.clientLogDir(netbios),
    clock,
    connectTo: [],
    caFile: undefined,
    environment: labEnvironment(lab.lab),
    dryRun: false,
    retryMs: options.retryMs,
  }) as Promise<Extract<SetupOutcome, { kind: 'install' }>>;
}

/** What `ccmlab demo` shows at the end: the rotation line of ClientLocation.log, the client's identity and token, where everything is. */
export interface DemoSummary {
  clientLocationLine: string;
  smsid: string;
  tokenExpiresAt: string;
  renewalDue: string;
  clientDir: string;
  clientLogs: string;
  siteLogs: string;
  /** ClientLocation.log itself, to read with `ccmlab log show`. */
  locationLog: string;
}

/** The demo's token lifetime: BulkRegistrationTokenTool's default, 3 days. */
const DEMO_TOKEN_MINUTES = 4320;

/**
 * `ccmlab demo`: a fresh lab in `dir`, the article's site running in-process, a bulk token,
 * and client CLIENT01 installed through the CMG with the article's command line. Each step is
 * told to `say` as it starts; the site is stopped at the end whatever happens.
 */
export async function runDemo(dir: string, clock: Clock, say: (line: string) => void): Promise<DemoSummary> {
  say(
    `1. Creating site ${ARTICLE_SITE_CODE} (CMG ${ARTICLE_CMG}, MP role ID ${ARTICLE_ROLE_ID}) and starting it on loopback`,
  );
  const lab = await startEmbeddedLab(dir, clock, DEMO_TOKEN_MINUTES);
  try {
    say(`2. Site running in ${lab.siteDir}: MP ${lab.site.ready.mp}, CMG ${lab.site.ready.cmg}`);
    say(`3. BulkRegistrationTokenTool /new: tracking GUID ${lab.tokenGuid}, valid until ${lab.tokenValidTo}`);
    const line = articleCommandLine('<redacted>').join(' ');
    say(
      `4. ccmsetup.exe ${line}\n   (the lab resolves ${ARTICLE_CMG} to 127.0.0.1:${new URL(lab.site.ready.cmg).port} and trusts the site's root)`,
    );
    const { result, clientDir, logDir } = await runArticleSetup(lab, 'CLIENT01', clock);
    const locationLog = path.join(logDir, 'ClientLocation.log');
    const text = decodeText(
      readBoundedFile(locationLog, 2 * CLIENT_LOG_DEFAULTS.maxSize, {
        label: 'ClientLocation.log',
        code: 'CCMLAB_E_FILE_UNREADABLE',
        fix: `see ${logDir}`,
      }),
    );
    const rotation = parseCmTrace(text).entries.find((e) => e.message.startsWith('Rotating internet management point'));
    const config = result.state?.config;
    if (!rotation || !config?.token)
      throw new CcmlabError('CCMLAB_E_INTERNAL', `the demo client did not enroll; see ${logDir}`);
    return {
      clientLocationLine: rotation.message,
      smsid: config.smsid,
      tokenExpiresAt: config.token.expiresAt,
      renewalDue: config.token.renewalDue,
      clientDir,
      clientLogs: logDir,
      siteLogs: lab.siteLogs,
      locationLog,
    };
  } finally {
    await lab.site.stop();
  }
}
