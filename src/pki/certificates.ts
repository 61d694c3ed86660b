import * as crypto from 'node:crypto';
import type forge from 'node-forge';
import { BoundedMemo } from '../core/bounded-memo';
import { onFirstUse } from '../core/on-first-use';
import { rsaJwkFromPkcs8 } from './rsa-private-key';

/**
 * X.509 for the site and the client: the structure built with node-forge's ASN.1, keys and
 * signatures from node:crypto (native; async key generation uses every core).
 */

export interface KeyPairPem {
  privateKeyPem: string;
  publicKeyPem: string;
}

export interface IssuedCertificate extends KeyPairPem {
  certificatePem: string;
}

export function generateRsaKeyPair(bits = 2048): Promise<KeyPairPem> {
  return new Promise((resolve, reject) => {
    crypto.generateKeyPair(
      'rsa',
      {
        modulusLength: bits,
        publicKeyEncoding: { type: 'spki', format: 'pem' },
        privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
      },
      (error, publicKeyPem, privateKeyPem) => (error ? reject(error) : resolve({ publicKeyPem, privateKeyPem })),
    );
  });
}

export interface CertificateRequest {
  commonName: string;
  /** DNS names and IP addresses for the subjectAltName. */
  dnsNames?: string[];
  ipAddresses?: string[];
  notBefore: Date;
  notAfter: Date;
  isCa?: boolean;
  /** Extended key usage OIDs (serverAuth = 1.3.6.1.5.5.7.3.1). */
  extendedKeyUsage?: string[];
  keyUsage?: {
    digitalSignature?: boolean;
    keyEncipherment?: boolean;
    dataEncipherment?: boolean;
    keyCertSign?: boolean;
    cRLSign?: boolean;
  };
  /** CRL distribution point URLs (http://…): clients that check revocation fetch the CRL there. */
  crlDistributionPoints?: string[];
  /** Issuer; omitted means self-signed. */
  issuer?: { certificatePem: string; privateKeyPem: string };
}

// eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded when a certificate is issued: reading keys and certificates (a status, a TLS check) does without it
const nodeForge = onFirstUse(() => require('node-forge') as typeof forge);

const parsedKeys = new BoundedMemo<crypto.KeyObject>(256);

const PEM_PRIVATE_KEY_BODY = /^-----BEGIN PRIVATE KEY-----\r?\n([A-Za-z0-9+/=\r\n]+)-----END PRIVATE KEY-----\r?\n?$/;

/** The key in `pem`: an RSA PKCS#8 key through its JWK (a tenth of the cost, rsa-private-key.ts), any other the usual way. */
function importPrivateKey(pem: string): crypto.KeyObject {
  const body = PEM_PRIVATE_KEY_BODY.exec(pem)?.[1];
  const jwk = body === undefined ? undefined : rsaJwkFromPkcs8(Buffer.from(body, 'base64'));
  return jwk ? crypto.createPrivateKey({ key: jwk, format: 'jwk' }) : crypto.createPrivateKey(pem);
}

/**
 * The private key in `pem`, parsed once for the last few keys: a client's keys sign its two
 * certificates and then its messages. A fleet has at most two keys per client in flight, far
 * fewer than are kept.
 */
export function privateKeyOf(pem: string): crypto.KeyObject {
  return parsedKeys.get(pem, () => importPrivateKey(pem));
}

function serialNumber(): string {
  // Positive, 16 bytes: the high bit cleared so DER does not read it as negative.
  const bytes = crypto.randomBytes(16);
  bytes[0] &= 0x7f;
  return bytes.toString('hex');
}

export async function issueCertificate(request: CertificateRequest, keys?: KeyPairPem): Promise<IssuedCertificate> {
  const pair = keys ?? (await generateRsaKeyPair());
  const { pki } = nodeForge();
  const cert = pki.createCertificate();
  cert.publicKey = pki.publicKeyFromPem(pair.publicKeyPem);
  cert.serialNumber = serialNumber();
  cert.validity.notBefore = request.notBefore;
  cert.validity.notAfter = request.notAfter;
  const subject = [{ name: 'commonName', value: request.commonName }];
  cert.setSubject(subject);
  const issuerCert = request.issuer ? pki.certificateFromPem(request.issuer.certificatePem) : undefined;
  cert.setIssuer(issuerCert ? issuerCert.subject.attributes : subject);
  const extensions: object[] = [{ name: 'basicConstraints', cA: request.isCa === true, critical: true }];
  if (request.keyUsage) extensions.push({ name: 'keyUsage', critical: true, ...request.keyUsage });
  if (request.extendedKeyUsage && request.extendedKeyUsage.length > 0) {
    // forge wants its own name for a usage it knows (serverAuth) and the dotted OID otherwise.
    const usage: Record<string, boolean> = {};
    for (const oid of request.extendedKeyUsage) usage[(pki.oids[oid] as string | undefined) ?? oid] = true;
    extensions.push({ name: 'extKeyUsage', ...usage });
  }
  const altNames = [
    ...(request.dnsNames ?? []).map((value) => ({ type: 2, value })),
    ...(request.ipAddresses ?? []).map((ip) => ({ type: 7, ip })),
  ];
  if (altNames.length > 0) extensions.push({ name: 'subjectAltName', altNames });
  if (request.crlDistributionPoints?.length)
    extensions.push({
      name: 'cRLDistributionPoints',
      altNames: request.crlDistributionPoints.map((value) => ({ type: 6, value })),
    });
  extensions.push({ name: 'subjectKeyIdentifier' });
  cert.setExtensions(extensions);
  signSha256Rsa(cert, request.issuer ? request.issuer.privateKeyPem : pair.privateKeyPem);
  return { ...pair, certificatePem: pki.certificateToPem(cert) };
}

/**
 * What forge's `cert.sign(key, sha256)` does, the RSA signature made by node:crypto: forge
 * signs in JavaScript, tens of milliseconds per certificate, most of a client's enrollment.
 */
function signSha256Rsa(cert: forge.pki.Certificate, privateKeyPem: string): void {
  const { pki, asn1 } = nodeForge();
  cert.signatureOid = cert.siginfo.algorithmOid = pki.oids.sha256WithRSAEncryption;
  // forge's own (x509.js), missing from its type declarations.
  const { getTBSCertificate } = pki as unknown as {
    getTBSCertificate(c: forge.pki.Certificate): forge.asn1.Asn1;
  };
  cert.tbsCertificate = getTBSCertificate(cert);
  const tbs = Buffer.from(asn1.toDer(cert.tbsCertificate).getBytes(), 'binary');
  cert.signature = crypto.sign('sha256', tbs, privateKeyOf(privateKeyPem)).toString('binary');
}

export interface CertificateFacts {
  subject: string;
  issuer: string;
  /** SHA-1 of the DER, upper-case hex, as Windows shows thumbprints. */
  thumbprint: string;
  notBefore: Date;
  notAfter: Date;
  der: Buffer;
}

const PEM_CERTIFICATE_BODY = /-----BEGIN CERTIFICATE-----\r?\n([A-Za-z0-9+/=\r\n]+)-----END CERTIFICATE-----/;

/**
 * The DER of the certificate in `pem`, decoded without parsing it (for certificates checked
 * when they were made or read); text that is not one PEM block is parsed, and refused if bad.
 */
export function certificateDer(pem: string): Buffer {
  const body = PEM_CERTIFICATE_BODY.exec(pem)?.[1];
  return body ? Buffer.from(body, 'base64') : new crypto.X509Certificate(pem).raw;
}

export function certificateFacts(certificatePem: string): CertificateFacts {
  const x509 = new crypto.X509Certificate(certificatePem);
  return {
    subject: x509.subject,
    issuer: x509.issuer,
    thumbprint: thumbprintOf(x509.raw),
    notBefore: new Date(x509.validFrom),
    notAfter: new Date(x509.validTo),
    der: x509.raw,
  };
}

/** SHA-1 of a certificate's DER, upper-case hex: the thumbprint Windows shows. */
export function thumbprintOf(der: Buffer): string {
  return crypto.createHash('sha1').update(der).digest('hex').toUpperCase();
}

/** base64url of the SHA-1 of the DER: the JWT `x5t` header. */
export function x5tOf(der: Buffer): string {
  return crypto.createHash('sha1').update(der).digest('base64url');
}
