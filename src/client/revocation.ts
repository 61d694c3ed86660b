import * as crypto from 'node:crypto';
import type * as tls from 'node:tls';
import { BoundedMemo } from '../core/bounded-memo';
import { crlDistributionPoints, readCrl } from '../pki/crl';

/**
 * The client's revocation check of a server certificate, as WinHTTP does it unless
 * /NoCRLCheck: fetch the CRL its distribution point names, verify it with the issuer,
 * and refuse a revoked certificate (CERT_REVOKED) or one whose CRL cannot be had or
 * trusted (CERT_REV_FAILED). A certificate that names no distribution point is not checked.
 */

export type RevocationFailure = 'CERT_REV_FAILED' | 'CERT_REVOKED';

export class RevocationError extends Error {
  readonly code: RevocationFailure;
  constructor(code: RevocationFailure, message: string) {
    super(message);
    this.code = code;
  }
}

/** A CRL, fetched once per client run and URL. */
export type CrlFetcher = (url: string) => Promise<Buffer>;

const SKEW_MS = 5 * 60_000;

/** The server's certificate and its issuer's, DER, as a verified TLS handshake presented them. */
export interface ServerCertificate {
  raw: Buffer;
  issuerRaw: Buffer | undefined;
}

/** What a full handshake presented, as TLS gave it to the server identity check; undefined without a certificate. */
export function presentedCertificate(
  peer: tls.PeerCertificate | tls.DetailedPeerCertificate,
): ServerCertificate | undefined {
  return peer.raw
    ? { raw: peer.raw, issuerRaw: 'issuerCertificate' in peer ? peer.issuerCertificate?.raw : undefined }
    : undefined;
}

const remembered = new BoundedMemo<unknown>(64);

/**
 * `make`'s value for these bytes, kept for the process: what is read from a certificate or a
 * CRL depends on their bytes alone, and a fleet checks the same CMG certificate and CRL for
 * every client (parsing them with forge costs more than the rest of the check). A throw is not kept.
 */
function fromBytes<T>(kind: string, bytes: Buffer[], make: () => T): T {
  const key = `${kind}:${bytes.map((b) => crypto.createHash('sha256').update(b).digest('base64')).join(':')}`;
  return remembered.get(key, make) as T;
}

function certificateFacts(raw: Buffer): { urls: string[]; serial: string } {
  return fromBytes('certificate', [raw], () => ({
    urls: crlDistributionPoints(raw).filter((u) => /^https?:\/\//i.test(u)),
    serial: new crypto.X509Certificate(raw).serialNumber.toUpperCase().replace(/^(00)+(?=.)/, ''),
  }));
}

export async function checkRevocation(
  certificate: ServerCertificate | undefined,
  now: Date,
  fetchCrl: CrlFetcher,
): Promise<void> {
  if (!certificate)
    throw new RevocationError(
      'CERT_REV_FAILED',
      'the server certificate is not known, so its revocation cannot be checked',
    );
  const { urls, serial } = certificateFacts(certificate.raw);
  if (urls.length === 0) return;
  const issuerRaw = certificate.issuerRaw;
  if (!issuerRaw)
    throw new RevocationError(
      'CERT_REV_FAILED',
      'the issuer of the server certificate is not known, so its CRL cannot be verified',
    );
  let crl;
  try {
    const der = await fetchCrl(urls[0]);
    crl = fromBytes('crl', [der, issuerRaw], () => readCrl(der, new crypto.X509Certificate(issuerRaw).publicKey));
  } catch (error) {
    throw new RevocationError('CERT_REV_FAILED', `the CRL at ${urls[0]} cannot be used (${(error as Error).message})`);
  }
  if (
    crl.thisUpdate.getTime() > now.getTime() + SKEW_MS ||
    (crl.nextUpdate && crl.nextUpdate.getTime() < now.getTime() - SKEW_MS)
  ) {
    throw new RevocationError(
      'CERT_REV_FAILED',
      `the CRL at ${urls[0]} is not valid at ${now.toISOString()} (this update ${crl.thisUpdate.toISOString()}, next ${crl.nextUpdate?.toISOString() ?? 'none'})`,
    );
  }
  if (crl.revokedSerials.has(serial))
    throw new RevocationError('CERT_REVOKED', `the server certificate (serial ${serial}) is on the CRL at ${urls[0]}`);
}
