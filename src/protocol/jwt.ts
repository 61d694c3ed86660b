import * as crypto from 'node:crypto';
import { parseStrictJson } from './strict-json';

/**
 * Compact JWS (JWT) encoding and shape checks, with no I/O and no key material: the
 * client only checks a token's shape (the site judges signature and lifetime), and the
 * site's token service builds on these before it verifies. Decoding is strict: one
 * spelling per token (canonical base64url), no duplicate JSON keys, a length cap checked
 * before anything is decoded.
 */

/** No site token comes near this; anything longer is refused before it is decoded. */
export const MAX_TOKEN_LENGTH = 4096;

export interface DecodedJwt {
  header: Record<string, unknown>;
  payload: Record<string, unknown>;
  signature: Buffer;
  /** `header.payload` as received: the bytes the signature covers. */
  signingInput: string;
}

export type JwtDecodeResult = { ok: true; jwt: DecodedJwt } | { ok: false; defect: string };

const BASE64URL = /^[A-Za-z0-9_-]*$/;

export function base64urlEncode(data: Buffer | string): string {
  return Buffer.from(data).toString('base64url');
}

function decodePart(part: string, what: string): { ok: true; bytes: Buffer } | { ok: false; defect: string } {
  if (part.length === 0) return { ok: false, defect: `its ${what} is empty` };
  if (!BASE64URL.test(part) || part.length % 4 === 1) {
    return { ok: false, defect: `its ${what} is not base64url text` };
  }
  const bytes = Buffer.from(part, 'base64url');
  // Non-zero bits after the last byte decode to the same bytes: one token, many spellings.
  if (bytes.toString('base64url') !== part)
    return { ok: false, defect: `its ${what} is not canonical base64url (non-zero trailing bits)` };
  return { ok: true, bytes };
}

function parseJsonObject(
  bytes: Buffer,
  what: string,
): { ok: true; value: Record<string, unknown> } | { ok: false; defect: string } {
  const parsed = parseStrictJson(bytes.toString('utf8'));
  if (!parsed.ok) return { ok: false, defect: `its ${what} is not valid JSON (${parsed.defect})` };
  const value = parsed.value;
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return { ok: false, defect: `its ${what} is JSON but not an object` };
  }
  return { ok: true, value: value as Record<string, unknown> };
}

/** Splits and decodes without verifying anything but the encoding. */
export function decodeJwt(token: string, maxLength = MAX_TOKEN_LENGTH): JwtDecodeResult {
  if (token.length > maxLength)
    return { ok: false, defect: `it is ${token.length} characters long, more than the ${maxLength} a token can be` };
  const parts = token.split('.');
  if (parts.length !== 3) {
    return {
      ok: false,
      defect: `it has ${parts.length} part${parts.length === 1 ? '' : 's'}; a token has 3 (header.payload.signature)`,
    };
  }
  const header = decodePart(parts[0], 'header');
  if (!header.ok) return header;
  const payload = decodePart(parts[1], 'payload');
  if (!payload.ok) return payload;
  const signature = decodePart(parts[2], 'signature');
  if (!signature.ok) return signature;
  const headerJson = parseJsonObject(header.bytes, 'header');
  if (!headerJson.ok) return headerJson;
  const payloadJson = parseJsonObject(payload.bytes, 'payload');
  if (!payloadJson.ok) return payloadJson;
  return {
    ok: true,
    jwt: {
      header: headerJson.value,
      payload: payloadJson.value,
      signature: signature.bytes,
      signingInput: `${parts[0]}.${parts[1]}`,
    },
  };
}

/** Claims of the bulk registration token, in the order the real tool writes them. */
export const BULK_TOKEN_CLAIMS = {
  SCCMTokenCategory: 'string',
  Authority: 'string',
  License: 'string',
  Type: 'string',
  TenantId: 'string',
  UniqueId: 'string',
  iss: 'string',
  aud: 'string',
  exp: 'number',
  nbf: 'number',
} as const;

/** The first claim that is missing or of the wrong JSON type, if any. */
export function claimShapeDefect(
  payload: Record<string, unknown>,
  claims: Record<string, 'string' | 'number'>,
): string | undefined {
  for (const [name, type] of Object.entries(claims)) {
    if (!(name in payload)) return `its payload has no '${name}' claim`;
    if (typeof payload[name] !== type) return `its '${name}' claim is not a ${type}`;
  }
  return undefined;
}

/** Header shape every site token shares: RS256 with the signer's SHA-1 thumbprint in x5t. */
export function headerShapeDefect(header: Record<string, unknown>): string | undefined {
  if (header.alg !== 'RS256')
    return `its header names algorithm ${JSON.stringify(header.alg ?? null)}; site tokens are RS256`;
  if (header.typ !== undefined && header.typ !== 'JWT')
    return `its header type is ${JSON.stringify(header.typ)}, not "JWT"`;
  if (typeof header.x5t !== 'string' || header.x5t === '')
    return 'its header has no x5t (signing certificate thumbprint)';
  return undefined;
}

/** The claims of a token whose encoding is sound, without verifying it (the client reads its own token's times). */
export function decodeJwtPayload(token: string): Record<string, unknown> | undefined {
  const decoded = decodeJwt(token);
  return decoded.ok ? decoded.jwt.payload : undefined;
}

/** A client token's binding to the signing certificate: `cnf` `x5t#S256`, base64url SHA-256 of the DER. */
export function certificateBinding(certificateDer: Buffer): string {
  return crypto.createHash('sha256').update(certificateDer).digest('base64url');
}

/** `MM/dd/yyyy HH:mm:ss` in UTC, as the token service prints instants. */
export function stsTime(seconds: number): string {
  const d = new Date(seconds * 1000);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${p(d.getUTCMonth() + 1)}/${p(d.getUTCDate())}/${d.getUTCFullYear()} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}`;
}

/** An ISO-8601 instant in stsTime's form: log messages print times as the product's do, never ISO. */
export function messageTime(iso: string): string {
  return stsTime(Date.parse(iso) / 1000);
}
