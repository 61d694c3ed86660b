import type { Clock } from '../core/clock';
import { certificateDer, issueCertificate, privateKeyOf, type KeyPairPem } from '../pki/certificates';
import type { KeyedCertificate } from './client-state';
import type { Identity } from './mp-session';

/**
 * The client's self-signed certificates: RSA-2048, SHA-256, one for signing (enhanced key
 * usage 1.3.6.1.4.1.311.101) and one for encryption (1.3.6.1.4.1.311.101.2), each with its
 * own key pair.
 */

const SIGNING_EKU = '1.3.6.1.4.1.311.101';
const ENCRYPTION_EKU = '1.3.6.1.4.1.311.101.2';
const DAY_MS = 86_400_000;

/** The key pairs of the two certificates; without them, each gets a new one. */
export interface ClientKeys {
  signing: KeyPairPem;
  encryption: KeyPairPem;
}

export async function createCertificates(
  clock: Clock,
  keys?: ClientKeys,
): Promise<{ signing: KeyedCertificate; encryption: KeyedCertificate }> {
  const now = clock.now().getTime();
  const validity = { notBefore: new Date(now - DAY_MS), notAfter: new Date(now + 20 * 365 * DAY_MS) };
  const [signing, encryption] = await Promise.all([
    issueCertificate(
      { commonName: 'SMS', ...validity, keyUsage: { digitalSignature: true }, extendedKeyUsage: [SIGNING_EKU] },
      keys?.signing,
    ),
    issueCertificate(
      {
        commonName: 'SMS',
        ...validity,
        keyUsage: { keyEncipherment: true, dataEncipherment: true },
        extendedKeyUsage: [ENCRYPTION_EKU],
      },
      keys?.encryption,
    ),
  ]);
  return { signing: keyed(signing), encryption: keyed(encryption) };
}

/** The client keeps the certificate and its private key (the public key is in the certificate). */
function keyed(issued: KeyedCertificate): KeyedCertificate {
  return { certificatePem: issued.certificatePem, privateKeyPem: issued.privateKeyPem };
}

export function identityOf(
  smsid: string,
  netbios: string,
  fqdn: string,
  signing: KeyedCertificate,
  encryption: KeyedCertificate,
): Identity {
  return {
    smsid,
    netbios,
    fqdn,
    signingKey: privateKeyOf(signing.privateKeyPem),
    signingCertDer: certificateDer(signing.certificatePem),
    encryptionCertDer: certificateDer(encryption.certificatePem),
  };
}
