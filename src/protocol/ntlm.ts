/**
 * The NTLM messages an IIS-hosted management point exchanges on its Windows-authenticated
 * endpoints (MS-NLMP): the client's NEGOTIATE, the server's CHALLENGE, the client's
 * AUTHENTICATE. Pure encoding and decoding, every length and offset bounds-checked; the
 * lab has no domain controller, so nothing here judges a password.
 */

export const NTLM_SIGNATURE = Buffer.from('NTLMSSP\0', 'latin1');
/** The largest NTLM message read (real ones are well under 2 KiB). */
export const MAX_NTLM_MESSAGE = 8 * 1024;

export const NTLM_FLAGS = {
  UNICODE: 0x00000001,
  OEM: 0x00000002,
  REQUEST_TARGET: 0x00000004,
  SIGN: 0x00000010,
  SEAL: 0x00000020,
  NTLM: 0x00000200,
  ALWAYS_SIGN: 0x00008000,
  TARGET_TYPE_DOMAIN: 0x00010000,
  EXTENDED_SESSIONSECURITY: 0x00080000,
  TARGET_INFO: 0x00800000,
  VERSION: 0x02000000,
  KEY_128: 0x20000000,
  KEY_EXCH: 0x40000000,
  KEY_56: 0x80000000,
} as const;

/** What the server offers: the client's wishes among these are granted. */
const OFFERED =
  NTLM_FLAGS.UNICODE |
  NTLM_FLAGS.OEM |
  NTLM_FLAGS.SIGN |
  NTLM_FLAGS.SEAL |
  NTLM_FLAGS.EXTENDED_SESSIONSECURITY |
  NTLM_FLAGS.KEY_128 |
  NTLM_FLAGS.KEY_EXCH |
  NTLM_FLAGS.KEY_56;

export type AuthScheme = 'NTLM' | 'Negotiate';

export type NtlmMessage =
  | { type: 1; flags: number }
  | { type: 3; flags: number; domain: string; user: string; workstation: string }
  | { type: 2; flags: number; challenge: Buffer };

export type NtlmParse<T> = { ok: true; value: T } | { ok: false; defect: string };

/** `Authorization: NTLM <base64>` or `Negotiate <base64>`: the scheme and the NTLM message inside. */
export function parseAuthorization(header: string): NtlmParse<{ scheme: AuthScheme; message: Buffer }> {
  const m = /^(NTLM|Negotiate)\s+([A-Za-z0-9+/]+={0,2})\s*$/i.exec(header);
  if (!m) return { ok: false, defect: 'the Authorization header is not NTLM or Negotiate with a base64 token' };
  const scheme: AuthScheme = m[1].toLowerCase() === 'ntlm' ? 'NTLM' : 'Negotiate';
  const blob = Buffer.from(m[2], 'base64');
  if (blob.length > MAX_NTLM_MESSAGE)
    return { ok: false, defect: `the ${scheme} token is ${blob.length} bytes, more than ${MAX_NTLM_MESSAGE}` };
  // Negotiate carries NTLMSSP raw (as Windows sends it without Kerberos) or inside SPNEGO.
  const at = blob.indexOf(NTLM_SIGNATURE);
  if (at < 0)
    return {
      ok: false,
      defect: `the ${scheme} token holds no NTLMSSP message (Kerberos is not offered by this lab MP)`,
    };
  return { ok: true, value: { scheme, message: blob.subarray(at) } };
}

/** A security buffer (length, allocated length, offset) and the bytes it points at. */
function field(message: Buffer, at: number, what: string): NtlmParse<Buffer> {
  if (at + 8 > message.length) return { ok: false, defect: `the message ends before its ${what} field` };
  const length = message.readUInt16LE(at);
  const offset = message.readUInt32LE(at + 4);
  if (length === 0) return { ok: true, value: Buffer.alloc(0) };
  if (offset + length > message.length)
    return {
      ok: false,
      defect: `its ${what} (${length} bytes at ${offset}) runs past the end of the message (${message.length} bytes)`,
    };
  return { ok: true, value: message.subarray(offset, offset + length) };
}

function text(bytes: Buffer, unicode: boolean, what: string): NtlmParse<string> {
  if (unicode && bytes.length % 2 !== 0) return { ok: false, defect: `its ${what} is not UTF-16LE (odd length)` };
  const value = bytes.toString(unicode ? 'utf16le' : 'latin1');

  if (/[\u0000-\u001f\u007f]/.test(value)) return { ok: false, defect: `its ${what} holds control characters` };
  return { ok: true, value };
}

function parseAuthenticate(message: Buffer): NtlmParse<NtlmMessage> {
  if (message.length < 64)
    return { ok: false, defect: `an AUTHENTICATE message is at least 64 bytes; this one is ${message.length}` };
  const flags = message.readUInt32LE(60);
  const unicode = (flags & NTLM_FLAGS.UNICODE) !== 0;
  const parts: Record<string, string> = {};
  for (const [name, at] of [
    ['domain', 28],
    ['user', 36],
    ['workstation', 44],
  ] as const) {
    const bytes = field(message, at, name);
    if (!bytes.ok) return bytes;
    if (bytes.value.length > 512)
      return { ok: false, defect: `its ${name} is ${bytes.value.length} bytes, more than 512` };
    const decoded = text(bytes.value, unicode, name);
    if (!decoded.ok) return decoded;
    parts[name] = decoded.value;
  }
  for (const [name, at] of [
    ['LM response', 12],
    ['NT response', 20],
  ] as const) {
    const bytes = field(message, at, name);
    if (!bytes.ok) return bytes;
  }
  if (parts.user === '')
    return { ok: false, defect: 'its user name is empty (anonymous NTLM is not a machine account)' };
  return {
    ok: true,
    value: { type: 3, flags, domain: parts.domain, user: parts.user, workstation: parts.workstation },
  };
}

export function parseNtlmMessage(message: Buffer): NtlmParse<NtlmMessage> {
  if (message.length < 16 || !message.subarray(0, 8).equals(NTLM_SIGNATURE))
    return { ok: false, defect: 'it is not an NTLMSSP message' };
  const type = message.readUInt32LE(8);
  if (type === 1) return { ok: true, value: { type: 1, flags: message.readUInt32LE(12) } };
  if (type === 3) return parseAuthenticate(message);
  if (type === 2 && message.length >= 32)
    return {
      ok: true,
      value: { type: 2, flags: message.readUInt32LE(20), challenge: Buffer.from(message.subarray(24, 32)) },
    };
  return { ok: false, defect: `message type ${type} is not one a client sends` };
}

export interface ChallengeOptions {
  /** The client's NEGOTIATE flags. */
  requested: number;
  challenge: Buffer;
  /** NetBIOS domain (target name), e.g. CONTOSO. */
  domain: string;
  /** NetBIOS and DNS names of the server and its domain, for the target information. */
  computer: string;
  dnsComputer: string;
  dnsDomain: string;
  /** FILETIME: 100 ns intervals since 1601-01-01. */
  timestamp: bigint;
}

function avPair(id: number, value: Buffer): Buffer {
  const head = Buffer.alloc(4);
  head.writeUInt16LE(id, 0);
  head.writeUInt16LE(value.length, 2);
  return Buffer.concat([head, value]);
}

/** The server's CHALLENGE, answering the client's wishes as IIS does (Windows 10 version stamp). */
export function buildChallenge(options: ChallengeOptions): Buffer {
  const unicode = (options.requested & NTLM_FLAGS.UNICODE) !== 0;
  const encode = (s: string) => Buffer.from(s, unicode ? 'utf16le' : 'latin1');
  const flags =
    ((options.requested & OFFERED) |
      NTLM_FLAGS.REQUEST_TARGET |
      NTLM_FLAGS.NTLM |
      NTLM_FLAGS.ALWAYS_SIGN |
      NTLM_FLAGS.TARGET_TYPE_DOMAIN |
      NTLM_FLAGS.TARGET_INFO |
      NTLM_FLAGS.VERSION) >>>
    0;
  const timestamp = Buffer.alloc(8);
  timestamp.writeBigUInt64LE(options.timestamp);
  const targetName = encode(options.domain);
  const utf16 = (s: string) => Buffer.from(s, 'utf16le');
  const targetInfo = Buffer.concat([
    avPair(2, utf16(options.domain)),
    avPair(1, utf16(options.computer)),
    avPair(4, utf16(options.dnsDomain)),
    avPair(3, utf16(options.dnsComputer)),
    avPair(7, timestamp),
    avPair(0, Buffer.alloc(0)),
  ]);
  const header = Buffer.alloc(56);
  NTLM_SIGNATURE.copy(header, 0);
  header.writeUInt32LE(2, 8);
  header.writeUInt16LE(targetName.length, 12);
  header.writeUInt16LE(targetName.length, 14);
  header.writeUInt32LE(56, 16);
  header.writeUInt32LE(flags, 20);
  options.challenge.copy(header, 24, 0, 8);
  header.writeUInt16LE(targetInfo.length, 40);
  header.writeUInt16LE(targetInfo.length, 42);
  header.writeUInt32LE(56 + targetName.length, 44);
  // Version: 10.0 build 19041, NTLM revision 15.
  Buffer.from([10, 0, 0x61, 0x4a, 0, 0, 0, 15]).copy(header, 48);
  return Buffer.concat([header, targetName, targetInfo]);
}

/** FILETIME of a JavaScript instant. */
export function fileTime(time: Date): bigint {
  return (BigInt(time.getTime()) + 11_644_473_600_000n) * 10_000n;
}
