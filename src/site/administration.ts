import type { Clock } from '../core/clock';
import { listBulkTokens, setBulkTokenBlocked, type BulkTokenRecord } from './bulk-tokens';
import { approveClient, listClients, type ClientRecord } from './clients';
import { revokeSiteCertificate, type RevocationResult } from './revocation';
import { readSettings, requireSettingKey, writeSetting, type SettingKey, type SiteSettings } from './settings';
import { openSite, renewSiteCertificate, SITE_CERTIFICATES, type RenewableCertificate, type Site } from './site-dir';
import { openSiteLog } from './site-logs';

/**
 * Site administration, as the console does it through the SMS Provider: bulk registration
 * tokens listed, blocked and unblocked; site certificates renewed and revoked; settings read
 * and changed; clients listed and approved. Each call opens the site and closes it; each
 * change the provider logs is said here, once, in SMSProv.log.
 */

/** The site a change is made to, where its logs go, and the time it is made at. */
export interface SiteAdmin {
  siteDir: string;
  logDir: string;
  clock: Clock;
}

export const CERTIFICATE_TITLES: Record<RenewableCertificate, string> = {
  'token-signing': 'SMS Token Signing Certificate',
  'role-ssl': 'SMS Role SSL Certificate',
  cmg: 'CMG server certificate',
};

/** Opens the site for one piece of work and closes it whatever happens. */
export function withSite<T>(siteDir: string, work: (site: Site) => T): T {
  const site = openSite(siteDir);
  try {
    return work(site);
  } finally {
    site.close();
  }
}

/** SMSProv.log, where the provider says what an administrator changed. */
function providerLog(admin: SiteAdmin): { info(message: string): void } {
  return openSiteLog(admin.logDir, 'SMSProv', admin.clock, 'SmsProviderSetup.cpp');
}

/** One row of `site tokens list`: a bulk token, or (with `all`) a site certificate. */
export type TokenRow = Record<string, string | null>;

/** The bulk registration tokens as the console's Certificates node lists them; `all` adds the site certificates. */
export function tokenRows(admin: SiteAdmin, all: boolean): TokenRow[] {
  const now = admin.clock.now();
  return withSite(admin.siteDir, (site) => {
    const rows: TokenRow[] = listBulkTokens(site, now).map((t: BulkTokenRecord) => ({
      guid: t.guid,
      type: t.type,
      validFrom: t.validFrom,
      validTo: t.validTo,
      status: t.status,
      blockedAt: t.blockedAt,
    }));
    if (!all) return rows;
    for (const { name } of SITE_CERTIFICATES) {
      const c = site.certificate(name);
      const status = c.notAfter.getTime() < now.getTime() ? 'Expired' : 'Active';
      rows.push({
        guid: null,
        type: c.title,
        validFrom: c.notBefore.toISOString(),
        validTo: c.notAfter.toISOString(),
        status,
        blockedAt: null,
        thumbprint: c.thumbprint,
      });
    }
    return rows;
  });
}

export interface TokenBlockChange {
  record: BulkTokenRecord;
  changed: boolean;
  /** What SMSProv.log says, and the command with it. */
  message: string;
}

/** `site tokens block|unblock`: the site refuses a blocked token from then on. */
export function changeTokenBlock(admin: SiteAdmin, guid: string, blocked: boolean): TokenBlockChange {
  return withSite(admin.siteDir, (site) => {
    const change = setBulkTokenBlocked(site, guid, blocked, admin.clock.now());
    const state = blocked ? 'blocked' : 'unblocked';
    const message = change.changed
      ? `Bulk registration token ${guid} is now ${state}.`
      : `Bulk registration token ${guid} was already ${state}; nothing changed.`;
    providerLog(admin).info(message);
    return { ...change, message };
  });
}

export interface CertificateRenewal {
  title: string;
  previous: string;
  current: string;
  /** What the renewal means for the running site and its clients. */
  consequence: string;
}

/** `site certs renew`: a new key and certificate (token-signing: every token the old one signed stops working). */
export async function renewCertificate(admin: SiteAdmin, name: RenewableCertificate): Promise<CertificateRenewal> {
  const site = openSite(admin.siteDir);
  let renewed: { previous: string; current: string };
  try {
    renewed = await renewSiteCertificate(site, name, admin.clock);
  } finally {
    site.close();
  }
  const title = CERTIFICATE_TITLES[name];
  const consequence =
    name === 'token-signing'
      ? 'Tokens signed by the old certificate are no longer accepted.'
      : 'The running site serves the new certificate to new connections.';
  providerLog(admin).info(`${title} renewed: ${renewed.previous} replaced by ${renewed.current}. ${consequence}`);
  return { title, ...renewed, consequence };
}

export interface CertificateRevocation extends RevocationResult {
  message: string;
}

/** `site certs revoke`: the certificate goes on the root's CRL (the site serves it until it is renewed). */
export function revokeCertificate(admin: SiteAdmin, name: RenewableCertificate): CertificateRevocation {
  const revoked = withSite(admin.siteDir, (site) => revokeSiteCertificate(site, name, admin.clock.now()));
  const title = CERTIFICATE_TITLES[name];
  const message = revoked.changed
    ? `${title} ${revoked.serial} is revoked: it is on the CRL the MP publishes.`
    : `${title} ${revoked.serial} was already revoked; nothing changed.`;
  providerLog(admin).info(message);
  return { ...revoked, message };
}

/** `site config get`: every setting. */
export function siteSettings(siteDir: string): SiteSettings {
  return withSite(siteDir, (site) => readSettings(site.db));
}

/** `site config get KEY`: one setting (the site is read first: a missing site is what is reported). */
export function siteSetting(siteDir: string, key: string): { key: SettingKey; value: SiteSettings[SettingKey] } {
  return withSite(siteDir, (site) => {
    const known = requireSettingKey(key);
    return { key: known, value: readSettings(site.db)[known] };
  });
}

/** `site config set`: the running site reads the change at once. */
export function changeSetting(
  siteDir: string,
  key: string,
  value: string,
): { key: SettingKey; value: SiteSettings[SettingKey] } {
  return withSite(siteDir, (site) => {
    const known = requireSettingKey(key);
    return { key: known, value: writeSetting(site.db, known, value) };
  });
}

/** `site clients list`: every client the MP has recorded, pending ones included. */
export function siteClients(siteDir: string): ClientRecord[] {
  return withSite(siteDir, (site) => listClients(site.db));
}

/** `site clients approve`: a client held by manual approval registers at its next confirmation. */
export function approveSiteClient(siteDir: string, smsid: string): { client: ClientRecord; changed: boolean } {
  return withSite(siteDir, (site) => approveClient(site.db, smsid));
}
