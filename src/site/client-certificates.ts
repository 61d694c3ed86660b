import * as crypto from 'node:crypto';
import { BoundedMemo } from '../core/bounded-memo';
import { keyIdOf } from './clients';

/**
 * Clients' certificates as the site parses them. A client sends the same certificates in
 * each registration, and proves its key on every request after: parsing a certificate and
 * exporting its key cost more than the checks made with them, so each certificate is parsed
 * once. What is kept depends only on the certificate's bytes, so no client's change of state
 * (re-registration, blocking, deletion) can make it stale; the checks that depend on the time
 * or on the database are made on every request by the callers.
 */

export interface ParsedCertificate {
  readonly certificate: crypto.X509Certificate;
  readonly publicKey: crypto.KeyObject;
  /** Milliseconds since the epoch. */
  readonly validFrom: number;
  readonly validTo: number;
  readonly keyType: string | undefined;
  readonly modulusLength: number | undefined;
  /** clients.ts keyIdOf of the public key. */
  readonly keyId: string;
}

/** Certificates kept at most, the oldest forgotten first: a fleet's worth, bounded. */
const MAX_CERTIFICATES = 4096;

function parseCertificate(der: Buffer): ParsedCertificate {
  const certificate = new crypto.X509Certificate(der);
  const { publicKey } = certificate;
  let keyId: string | undefined;
  return {
    certificate,
    publicKey,
    validFrom: Date.parse(certificate.validFrom),
    validTo: Date.parse(certificate.validTo),
    keyType: publicKey.asymmetricKeyType,
    modulusLength: publicKey.asymmetricKeyDetails?.modulusLength,
    // Made at first use: an encryption certificate is only checked to be one.
    get keyId() {
      return (keyId ??= keyIdOf(publicKey));
    },
  };
}

export class ClientCertificates {
  /** By SHA-256 of the certificate's DER (not its SHA-1 thumbprint, which a collision could share). */
  private readonly parsed = new BoundedMemo<ParsedCertificate>(MAX_CERTIFICATES);

  /** The certificate in `der`, parsed; throws as X509Certificate does on bytes that are not one (nothing is kept). */
  parse(der: Buffer): ParsedCertificate {
    return this.parsed.get(crypto.createHash('sha256').update(der).digest('base64'), () => parseCertificate(der));
  }
}
