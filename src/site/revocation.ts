import * as crypto from 'node:crypto';
import { buildCrl, type RevokedEntry } from '../pki/crl';
import type { RenewableCertificate, Site } from './site-dir';

/**
 * Revocation by the site's root: the certificates the site has revoked (site.db) and the
 * CRL the MP publishes from them. A revoked certificate is still served until it is
 * renewed, as a real CMG keeps its certificate until it is replaced.
 */

/** How long a published CRL is valid: clients refuse a stale one. */
const CRL_VALIDITY_MS = 7 * 86_400_000;

export interface RevocationResult {
  serial: string;
  thumbprint: string;
  changed: boolean;
  crlDistributionPoint: string | null;
}

export function revokeSiteCertificate(site: Site, name: RenewableCertificate, now: Date): RevocationResult {
  const certificate = new crypto.X509Certificate(site.certificatePem(name));
  const serial = certificate.serialNumber.toUpperCase();
  const thumbprint = site.certificate(name).thumbprint;
  const inserted = site.db.prepare('INSERT OR IGNORE INTO revoked_certificates (serial, name, thumbprint, revoked_at) VALUES (?, ?, ?, ?)').run(serial, name, thumbprint, now.toISOString());
  return { serial, thumbprint, changed: inserted.changes === 1, crlDistributionPoint: site.config.crlDistributionPoint };
}

export function revokedCertificates(site: Site): RevokedEntry[] {
  const rows = site.db.prepare('SELECT serial, revoked_at FROM revoked_certificates ORDER BY revoked_at, serial').all() as Array<{ serial: string; revoked_at: string }>;
  return rows.map((r) => ({ serial: r.serial, revokedAt: new Date(r.revoked_at) }));
}

/** The CRL as the MP serves it now: signed by the root, numbered by the revocations it lists. */
export function currentCrl(site: Site, now: Date): Buffer {
  const revoked = revokedCertificates(site);
  return buildCrl({
    issuerCertificatePem: site.certificatePem('sms-issuing'),
    issuerKey: site.privateKey('sms-issuing'),
    thisUpdate: new Date(now.getTime() - 60_000),
    nextUpdate: new Date(now.getTime() + CRL_VALIDITY_MS),
    number: revoked.length + 1,
    revoked,
  });
}
