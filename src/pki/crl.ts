import * as crypto from 'node:crypto';
import forge from 'node-forge';

/**
 * X.509 certificate revocation lists (RFC 5280 §5). node-forge writes no CRLs: the
 * structure is built with its ASN.1 tools and signed with node:crypto; reading one back
 * (as a client does) verifies the issuer's signature with node:crypto too.
 */

const { asn1 } = forge;
const SHA256_WITH_RSA = '1.2.840.113549.1.1.11';
const CRL_NUMBER = '2.5.29.20';
const CRL_DISTRIBUTION_POINTS = '2.5.29.31';

export interface RevokedEntry {
  /** Upper-case hex, as node:crypto's X509Certificate.serialNumber gives it. */
  serial: string;
  revokedAt: Date;
}

export interface CrlRequest {
  issuerCertificatePem: string;
  issuerKey: crypto.KeyObject;
  thisUpdate: Date;
  nextUpdate: Date;
  number: number;
  revoked: readonly RevokedEntry[];
}

function time(date: Date): forge.asn1.Asn1 {
  // RFC 5280: UTCTime through 2049, GeneralizedTime after.
  return date.getUTCFullYear() < 2050
    ? asn1.create(asn1.Class.UNIVERSAL, asn1.Type.UTCTIME, false, asn1.dateToUtcTime(date))
    : asn1.create(asn1.Class.UNIVERSAL, asn1.Type.GENERALIZEDTIME, false, asn1.dateToGeneralizedTime(date));
}

function integerBytes(hex: string): string {
  const bytes = Buffer.from(hex.length % 2 ? `0${hex}` : hex, 'hex');
  // DER INTEGERs are signed: a leading 1 bit needs a zero byte before it.
  return (bytes[0] >= 0x80 ? Buffer.concat([Buffer.from([0]), bytes]) : bytes).toString('binary');
}

function sequence(...items: forge.asn1.Asn1[]): forge.asn1.Asn1 {
  return asn1.create(asn1.Class.UNIVERSAL, asn1.Type.SEQUENCE, true, items);
}

function algorithm(): forge.asn1.Asn1 {
  return sequence(
    asn1.create(asn1.Class.UNIVERSAL, asn1.Type.OID, false, asn1.oidToDer(SHA256_WITH_RSA).getBytes()),
    asn1.create(asn1.Class.UNIVERSAL, asn1.Type.NULL, false, ''),
  );
}

/** A signed CRL, DER. */
export function buildCrl(request: CrlRequest): Buffer {
  const issuer = forge.pki.certificateFromPem(request.issuerCertificatePem);
  const crlNumber = sequence(
    asn1.create(asn1.Class.UNIVERSAL, asn1.Type.OID, false, asn1.oidToDer(CRL_NUMBER).getBytes()),
    asn1.create(
      asn1.Class.UNIVERSAL,
      asn1.Type.OCTETSTRING,
      false,
      asn1
        .toDer(asn1.create(asn1.Class.UNIVERSAL, asn1.Type.INTEGER, false, integerBytes(request.number.toString(16))))
        .getBytes(),
    ),
  );
  const revoked = request.revoked.map((r) =>
    sequence(asn1.create(asn1.Class.UNIVERSAL, asn1.Type.INTEGER, false, integerBytes(r.serial)), time(r.revokedAt)),
  );
  const tbs = sequence(
    asn1.create(asn1.Class.UNIVERSAL, asn1.Type.INTEGER, false, String.fromCharCode(1)),
    algorithm(),
    forge.pki.distinguishedNameToAsn1(issuer.subject),
    time(request.thisUpdate),
    time(request.nextUpdate),
    ...(revoked.length > 0 ? [sequence(...revoked)] : []),
    asn1.create(asn1.Class.CONTEXT_SPECIFIC, 0, true, [sequence(crlNumber)]),
  );
  const tbsDer = Buffer.from(asn1.toDer(tbs).getBytes(), 'binary');
  const signature = crypto.sign('sha256', tbsDer, request.issuerKey);
  const crl = sequence(
    tbs,
    algorithm(),
    asn1.create(asn1.Class.UNIVERSAL, asn1.Type.BITSTRING, false, `\0${signature.toString('binary')}`),
  );
  return Buffer.from(asn1.toDer(crl).getBytes(), 'binary');
}

export interface ParsedCrl {
  thisUpdate: Date;
  nextUpdate: Date | undefined;
  revokedSerials: Set<string>;
}

function serialHex(node: forge.asn1.Asn1): string {
  return Buffer.from(node.value as string, 'binary')
    .toString('hex')
    .replace(/^(00)+(?=.)/, '')
    .toUpperCase();
}

function readTime(node: forge.asn1.Asn1): Date {
  return node.type === asn1.Type.UTCTIME
    ? asn1.utcTimeToDate(node.value as string)
    : asn1.generalizedTimeToDate(node.value as string);
}

const isTime = (node: forge.asn1.Asn1 | undefined) =>
  node?.tagClass === asn1.Class.UNIVERSAL &&
  (node.type === asn1.Type.UTCTIME || node.type === asn1.Type.GENERALIZEDTIME);

/** Reads a CRL and verifies its signature with the issuer's public key; throws on any defect. */
export function readCrl(der: Buffer, issuerPublicKey: crypto.KeyObject): ParsedCrl {
  const [tbs, , signatureBits] = asn1.fromDer(der.toString('binary'), true).value as forge.asn1.Asn1[];
  const signature = Buffer.from((signatureBits.value as string).slice(1), 'binary');
  if (!crypto.verify('sha256', Buffer.from(asn1.toDer(tbs).getBytes(), 'binary'), issuerPublicKey, signature)) {
    throw new Error('the CRL signature does not verify with the issuing root');
  }
  // TBSCertList: [version] signature issuer thisUpdate [nextUpdate] [revokedCertificates] [0]crlExtensions
  const fields = tbs.value as forge.asn1.Asn1[];
  let at = fields[0].type === asn1.Type.INTEGER ? 3 : 2;
  if (!isTime(fields[at])) throw new Error('the CRL has no thisUpdate');
  const thisUpdate = readTime(fields[at++]);
  const nextUpdate = isTime(fields[at]) ? readTime(fields[at++]) : undefined;
  const list =
    fields[at]?.tagClass === asn1.Class.UNIVERSAL && fields[at].type === asn1.Type.SEQUENCE
      ? (fields[at].value as forge.asn1.Asn1[])
      : [];
  return {
    thisUpdate,
    nextUpdate,
    revokedSerials: new Set(list.map((entry) => serialHex((entry.value as forge.asn1.Asn1[])[0]))),
  };
}

/** The URLs of a certificate's CRL distribution points (fullName URIs). */
export function crlDistributionPoints(certificateDer: Buffer): string[] {
  const cert = forge.pki.certificateFromAsn1(asn1.fromDer(certificateDer.toString('binary')));
  const extension = cert.extensions.find((e: { id?: string }) => e.id === CRL_DISTRIBUTION_POINTS) as
    { value?: string } | undefined;
  if (!extension?.value) return [];
  const urls: string[] = [];
  const walk = (node: forge.asn1.Asn1, depth: number): void => {
    if (depth > 8) return;
    if (node.tagClass === asn1.Class.CONTEXT_SPECIFIC && node.type === 6 && typeof node.value === 'string')
      urls.push(node.value);
    else if (Array.isArray(node.value)) for (const child of node.value) walk(child, depth + 1);
  };
  walk(asn1.fromDer(extension.value), 0);
  return urls;
}
