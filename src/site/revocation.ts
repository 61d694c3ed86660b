import * as crypto from 'node:crypto';
import { buildCrl, type RevokedEntry } from '../pki/crl';
import type { RenewableCertificate, Site } from './site-dir';
import type { SiteCredentials } from './site-credentials';
import { statement } from './site-db';

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
  const inserted = statement(
    site.db,
    'INSERT OR IGNORE INTO revoked_certificates (serial, name, thumbprint, revoked_at) VALUES (?, ?, ?, ?)',
  ).run(serial, name, thumbprint, now.toISOString());
  return {
    serial,
    thumbprint,
    changed: inserted.changes === 1,
    crlDistributionPoint: site.config.crlDistributionPoint,
  };
}

export function revokedCertificates(site: Site): RevokedEntry[] {
  const rows = statement(
    site.db,
    'SELECT serial, revoked_at FROM revoked_certificates ORDER BY revoked_at, serial',
  ).all() as Array<{ serial: string; revoked_at: string }>;
  return rows.map((r) => ({ serial: r.serial, revokedAt: new Date(r.revoked_at) }));
}

/** How long the MP serves one signed CRL (valid 7 days) before it signs a fresh one. */
const CRL_REISSUE_MS = 3_600_000;

/** Whether a CRL signed at lab time `signedAt` may still be served at `now`: not once the lab clock went back before it, nor an hour on. */
export function crlStillServable(signedAt: number, now: number): boolean {
  return now >= signedAt && now - signedAt < CRL_REISSUE_MS;
}

function signCrl(credentials: SiteCredentials, revoked: RevokedEntry[], now: Date): Buffer {
  return buildCrl({
    issuerCertificatePem: credentials.certificatePem('sms-issuing'),
    issuerKey: credentials.privateKey('sms-issuing'),
    thisUpdate: new Date(now.getTime() - 60_000),
    nextUpdate: new Date(now.getTime() + CRL_VALIDITY_MS),
    number: revoked.length + 1,
    revoked,
  });
}

/**
 * The CRL as the MP serves it: signed by the root, numbered by the revocations it lists. The
 * last one is served again while the revocations and the root are as they were and it is
 * fresh, so a fleet fetching it costs no signature per client; `site certs revoke` reaches
 * the next request.
 */
export class PublishedCrl {
  private last: { revoked: string; root: string; signedAt: number; der: Buffer } | undefined;

  constructor(private readonly credentials: SiteCredentials) {}

  current(now: Date): Buffer {
    const revoked = revokedCertificates(this.credentials.site);
    const listed = revoked.map((r) => `${r.serial}@${r.revokedAt.getTime()}`).join(',');
    const root = this.credentials.certificate('sms-issuing').thumbprint;
    const last = this.last;
    if (last && last.revoked === listed && last.root === root && crlStillServable(last.signedAt, now.getTime()))
      return last.der;
    const der = signCrl(this.credentials, revoked, now);
    this.last = { revoked: listed, root, signedAt: now.getTime(), der };
    return der;
  }
}
