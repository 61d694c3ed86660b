import * as crypto from 'node:crypto';
import { GUID_TEXT } from '../core/guid';
import { printable } from '../core/text';
import { parseSmsid } from './smsid';

/**
 * ConfigMgr's message signatures: RSA PKCS#1 v1.5 with SHA-256 over UTF-16LE text, the
 * signature bytes reversed (CryptoAPI's little-endian order) and written as upper-case hex.
 */

export function reversedHex(signature: Buffer): string {
  return Buffer.from(signature).reverse().toString('hex').toUpperCase();
}

export function fromReversedHex(hex: string): Buffer | undefined {
  if (!/^(?:[0-9A-Fa-f]{2})+$/.test(hex)) return undefined;
  return Buffer.from(hex, 'hex').reverse();
}

export function signBytes(bytes: Buffer, key: crypto.KeyObject): string {
  return reversedHex(crypto.sign('sha256', bytes, key));
}

export function verifyBytes(bytes: Buffer, signatureHex: string, publicKey: crypto.KeyObject): boolean {
  const signature = fromReversedHex(signatureHex.trim());
  if (!signature) return false;
  try {
    return crypto.verify('sha256', bytes, publicKey, signature);
  } catch {
    return false;
  }
}

/** `yyyy-MM-ddTHH:mm:ssZ`: the whole-second UTC form messages and ClientToken use. */
export function isoSeconds(time: Date): string {
  return time.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** `ClientToken: GUID:<id>;<UTC yyyy-MM-ddTHH:mm:ssZ>;2` */
export function clientTokenValue(smsid: string, time: Date): string {
  return `${smsid};${isoSeconds(time)};2`;
}

export type ClientTokenParse = { ok: true; smsid: string; time: Date } | { ok: false; defect: string };

const CLIENT_TOKEN = new RegExp(`^(GUID:${GUID_TEXT});(\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}Z);2$`);

export function parseClientToken(value: string | undefined): ClientTokenParse {
  if (value === undefined || value === '') return { ok: false, defect: 'the ClientToken header is missing' };
  const m = CLIENT_TOKEN.exec(value);
  if (!m)
    return {
      ok: false,
      defect: `the ClientToken header '${printable(value, 120)}' is not GUID:<id>;<yyyy-MM-ddTHH:mm:ssZ>;2`,
    };
  const time = new Date(m[2]);
  if (Number.isNaN(time.getTime()))
    return { ok: false, defect: `the ClientToken time '${m[2]}' is not a valid instant` };
  return { ok: true, smsid: parseSmsid(m[1]) as string, time };
}

/** The ClientToken is signed as UTF-16LE text with a terminating NUL. */
export function clientTokenBytes(value: string): Buffer {
  return Buffer.from(`${value}\0`, 'utf16le');
}

export function signClientToken(value: string, key: crypto.KeyObject): string {
  return signBytes(clientTokenBytes(value), key);
}

export function verifyClientToken(value: string, signatureHex: string, publicKey: crypto.KeyObject): boolean {
  return verifyBytes(clientTokenBytes(value), signatureHex, publicKey);
}
