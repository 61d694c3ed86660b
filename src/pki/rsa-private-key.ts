import type { JsonWebKey } from 'node:crypto';

/**
 * An RSA private key in PKCS#8 DER as a JWK, read without OpenSSL. Why: node:crypto imports a
 * PKCS#8 key (PEM or DER) more slowly than it signs with it, and a JWK about ten times faster;
 * a fleet client imports two keys. Anything but an unencrypted PKCS#8 RSA key gives undefined,
 * and the caller imports the bytes the usual way.
 */

const RSA_ENCRYPTION_OID = Buffer.from('06092a864886f70d010101', 'hex');
const RSA_PARAMETERS = ['n', 'e', 'd', 'p', 'q', 'dp', 'dq', 'qi'] as const;

interface Element {
  tag: number;
  /** Where the contents start and end in the buffer. */
  start: number;
  end: number;
}

/** The DER element at `offset`, within `limit`; undefined if it is not one. */
function elementAt(der: Buffer, offset: number, limit: number): Element | undefined {
  if (offset + 2 > limit) return undefined;
  const tag = der[offset];
  const first = der[offset + 1];
  let start = offset + 2;
  let length = first;
  if (first & 0x80) {
    const bytes = first & 0x7f;
    // DER lengths here fit in three bytes (a 16 KB key at most).
    if (bytes < 1 || bytes > 3 || start + bytes > limit) return undefined;
    length = 0;
    for (let i = 0; i < bytes; i += 1) length = length * 256 + der[start + i];
    start += bytes;
  }
  const end = start + length;
  return end <= limit ? { tag, start, end } : undefined;
}

/** The elements inside a SEQUENCE, each checked to lie within it. */
function children(der: Buffer, sequence: Element | undefined): Element[] | undefined {
  if (sequence?.tag !== 0x30) return undefined;
  const found: Element[] = [];
  for (let offset = sequence.start; offset < sequence.end;) {
    const element = elementAt(der, offset, sequence.end);
    if (!element) return undefined;
    found.push(element);
    offset = element.end;
  }
  return found;
}

/** A positive INTEGER's magnitude, base64url without its sign byte, as JWK wants it. */
function unsignedBase64url(der: Buffer, element: Element): string | undefined {
  if (element.tag !== 0x02 || element.end === element.start || der[element.start] & 0x80) return undefined;
  let start = element.start;
  while (start < element.end - 1 && der[start] === 0) start += 1;
  return der.subarray(start, element.end).toString('base64url');
}

export function rsaJwkFromPkcs8(der: Buffer): JsonWebKey | undefined {
  const outer = elementAt(der, 0, der.length);
  const info = outer?.end === der.length ? children(der, outer) : undefined;
  if (info?.length !== 3 || info[1].tag !== 0x30 || info[2].tag !== 0x04) return undefined;
  const algorithm = der.subarray(info[1].start, info[1].end);
  if (!algorithm.subarray(0, RSA_ENCRYPTION_OID.length).equals(RSA_ENCRYPTION_OID)) return undefined;
  const key = children(der, elementAt(der, info[2].start, info[2].end));
  // RSAPrivateKey: version 0 (two primes), then the eight parameters.
  if (key?.length !== 9 || unsignedBase64url(der, key[0]) !== 'AA') return undefined;
  const jwk: JsonWebKey = { kty: 'RSA' };
  for (const [i, name] of RSA_PARAMETERS.entries()) {
    const value = unsignedBase64url(der, key[i + 1]);
    if (value === undefined) return undefined;
    jwk[name] = value;
  }
  return jwk;
}
