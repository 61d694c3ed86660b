import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { systemClock, type Clock } from '../../src/core/clock';
import { parseCmTrace } from '../../src/log/cmtrace-parse';
import { issueCertificate } from '../../src/pki/certificates';
import { createBulkToken } from '../../src/site/bulk-tokens';
import { listClients, type ClientRecord } from '../../src/site/clients';
import { initSite, openSite, type InitOptions } from '../../src/site/site-dir';
import { startSite, type RunningSite } from '../../src/site/site-server';
import { CONTENT_TYPE, registration, replyText, type Identity } from './independent-encoder';
import { request } from './https-client';
import { removeDir, tempDir } from './paths';

/** A real site on loopback ports for one test file: init, start, requests, its logs. */

export const ROLE = '72057594037927941';

export interface TestSite {
  work: string;
  siteDir: string;
  logDir: string;
  running: RunningSite;
  cmg(p: string, options?: Parameters<typeof request>[1]): ReturnType<typeof request>;
  mp(p: string, options?: Parameters<typeof request>[1]): ReturnType<typeof request>;
  bulkToken(lifetimeMinutes?: number): { token: string; guid: string };
  clients(): ClientRecord[];
  logEntries(name: string): ReturnType<typeof parseCmTrace>['entries'];
  stop(): Promise<void>;
}

/** `site init` options for the source article's site: site code ABC, its CMG and role ID. */
export const ARTICLE_SITE_OPTIONS = [
  '--site-code',
  'ABC',
  '--cmg-name',
  'CONTOSO.CLOUDAPP.NET',
  '--role-id',
  '72186325152220500',
] as const;

/** The test lab's site in `siteDir`: site code LAB, MP mp01.lab.test, CMG cmg.lab.test, role ROLE; `extra` changes any of it. */
export async function initLabSite(siteDir: string, extra: Partial<InitOptions> = {}): Promise<void> {
  await initSite({
    dir: siteDir,
    siteCode: 'LAB',
    mpName: 'mp01.lab.test',
    cmgName: 'cmg.lab.test',
    roleId: ROLE,
    passive: false,
    force: false,
    clock: systemClock,
    ...extra,
  });
}

/** The site in `siteDir` started in this process on loopback, each listener on a free port. */
export function startOnLoopback(siteDir: string, logDir: string, clock: Clock = systemClock): Promise<RunningSite> {
  return startSite({ siteDir, host: '127.0.0.1', mpPort: 0, mpHttpsPort: 0, cmgPort: 0, logDir, clock });
}

export async function startTestSite(): Promise<TestSite> {
  const work = tempDir();
  const siteDir = path.join(work, 'site');
  const logDir = path.join(work, 'logs');
  await initLabSite(siteDir);
  const running = await startOnLoopback(siteDir, logDir);
  const ca = fs.readFileSync(path.join(siteDir, 'pki', 'sms-issuing.pem'), 'utf8');
  const cmgBase = running.ready.cmg.replace('127.0.0.1', 'localhost');
  return {
    work,
    siteDir,
    logDir,
    running,
    cmg: (p, options = {}) => request(`${cmgBase}${p}`, { ca, ...options }),
    mp: (p, options = {}) => request(`${running.ready.mp}${p}`, options),
    bulkToken: (lifetimeMinutes = 60) => newBulkToken(siteDir, lifetimeMinutes),
    clients: () => siteClients(siteDir),
    logEntries: (name) => parseCmTrace(fs.readFileSync(path.join(logDir, `${name}.log`), 'utf8')).entries,
    stop: async () => {
      await running.stop();
      removeDir(work);
    },
  };
}

/** A bulk token issued by the site in `siteDir`, as the token tool issues one. */
export function newBulkToken(siteDir: string, lifetimeMinutes = 60): { token: string; guid: string } {
  const opened = openSite(siteDir);
  try {
    const { token, record } = createBulkToken(opened, lifetimeMinutes, new Date());
    return { token, guid: record.guid };
  } finally {
    opened.close();
  }
}

/** The clients the site in `siteDir` recorded. */
export function siteClients(siteDir: string): ClientRecord[] {
  const opened = openSite(siteDir);
  try {
    return listClients(opened.db);
  } finally {
    opened.close();
  }
}

export async function testIdentity(netbios: string): Promise<Identity> {
  const now = Date.now();
  const cert = await issueCertificate({
    commonName: 'SMS',
    notBefore: new Date(now - 86_400_000),
    notAfter: new Date(now + 365 * 86_400_000),
    extendedKeyUsage: ['1.3.6.1.4.1.311.101'],
  });
  return {
    key: crypto.createPrivateKey(cert.privateKeyPem),
    certDer: new crypto.X509Certificate(cert.certificatePem).raw,
    netbios,
  };
}

export const ccmPost = (body: Buffer, extra: Record<string, string> = {}) => ({
  method: 'CCM_POST',
  body,
  headers: { 'content-type': CONTENT_TYPE, ...extra },
});

export function registrationStatus(reply: Buffer): { Status: string; SMSID: string } {
  const text = replyText(reply);
  return { Status: /Status="(\d)"/.exec(text)?.[1] ?? '', SMSID: /SMSID="([^"]*)"/.exec(text)?.[1] ?? '' };
}

/** Registers through the CMG with a bulk token (pending, then confirmed); returns the SMSID. */
export async function registerWithBulkToken(site: TestSite, id: Identity, token: string): Promise<string> {
  const path = `/CCM_Proxy_ServerAuth/${ROLE}/ccm_system_tokenauth/request`;
  const first = registrationStatus(
    (await site.cmg(path, ccmPost(registration(id, 'Registration', '', true), { authorization: `Bearer ${token}` })))
      .body,
  );
  const second = registrationStatus(
    (
      await site.cmg(
        path,
        ccmPost(registration(id, 'Confirmation', first.SMSID, true), { authorization: `Bearer ${token}` }),
      )
    ).body,
  );
  if (second.Status !== '0')
    throw new Error(`registration through the CMG did not complete: ${JSON.stringify([first, second])}`);
  return second.SMSID;
}
