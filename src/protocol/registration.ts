import type * as crypto from 'node:crypto';
import { countOf } from '../core/text';
import { signBytes } from './ccm-signature';
import { parseSmsid } from './smsid';
import { attribute, child, children, escapeXml, parseXml, text, type XmlNode } from './xml';

/**
 * ClientRegistrationRequest and ClientRegistrationResponse, as public clients and real
 * MPs exchange them. The signature covers the UTF-16LE text of `<Data …>…</Data>` exactly
 * as sent (real clients put line breaks inside it), so a verifier cuts those bytes from
 * the raw body text and never re-serialises.
 */

export const SHA256_RSA_OID = '1.2.840.113549.1.1.11';
export { AGENT_VERSION } from './agent-version';
const MAX_BODY_CHARS = 512 * 1024;

export type RequestType = 'Registration' | 'Confirmation';

export interface RegistrationRequestFields {
  smsid: string;
  requestType: RequestType;
  timeStamp: string;
  agentIdentity: string;
  agentVersion: string;
  encryptionCertificateDer: Buffer;
  signingCertificateDer: Buffer;
  netbiosName: string;
  fqdn: string;
  localeId: string;
  internetFlag: '0' | '1';
}

export function buildRegistrationRequest(fields: RegistrationRequestFields, signingKey: crypto.KeyObject): string {
  const property = (name: string, value: string) => `<Property Name="${name}" Value="${escapeXml(value)}" />`;
  const data =
    `<Data HashAlgorithm="${SHA256_RSA_OID}" SMSID="${escapeXml(fields.smsid)}" RequestType="${fields.requestType}" TimeStamp="${escapeXml(fields.timeStamp)}">\n` +
    `<AgentInformation AgentIdentity="${escapeXml(fields.agentIdentity)}" AgentVersion="${escapeXml(fields.agentVersion)}" AgentType="0" />\n` +
    `<Certificates><Encryption Encoding="HexBinary" KeyType="1">${fields.encryptionCertificateDer.toString('hex').toUpperCase()}</Encryption>` +
    `<Signing Encoding="HexBinary" KeyType="1">${fields.signingCertificateDer.toString('hex').toUpperCase()}</Signing></Certificates>\n` +
    `<DiscoveryProperties>${property('Netbios Name', fields.netbiosName)}\n${property('FQ Name', fields.fqdn)}\n` +
    `${property('Locale ID', fields.localeId)}\n${property('InternetFlag', fields.internetFlag)}\n</DiscoveryProperties></Data>`;
  const signature = signBytes(Buffer.from(data, 'utf16le'), signingKey);
  return `<ClientRegistrationRequest>${data}<Signature><SignatureValue>${signature}</SignatureValue></Signature></ClientRegistrationRequest>`;
}

export interface ParsedRegistrationRequest extends RegistrationRequestFields {
  hashAlgorithm: string;
  /** UTF-16LE of the `<Data>` text exactly as received: what the signature covers. */
  signedBytes: Buffer;
  signatureHex: string;
}

export type RegistrationParse = { ok: true; request: ParsedRegistrationRequest } | { ok: false; defect: string };

function hexField(node: XmlNode | undefined, what: string): Buffer | string {
  const value = text(node)?.trim() ?? '';
  if (value === '' || !/^(?:[0-9A-Fa-f]{2})+$/.test(value)) return `the ${what} certificate is not hex-encoded DER`;
  return Buffer.from(value, 'hex');
}

export function parseRegistrationRequest(bodyText: string): RegistrationParse {
  const parsed = parseXml(bodyText, 'the registration request', MAX_BODY_CHARS);
  if (!parsed.ok) return parsed;
  const start = bodyText.indexOf('<Data');
  const endTag = '</Data>';
  const end = bodyText.indexOf(endTag);
  if (start < 0 || end < start) return { ok: false, defect: 'the request has no <Data> element' };
  if (bodyText.indexOf('<Data', start + 1) >= 0) {
    return { ok: false, defect: 'the request has more than one <Data> element' };
  }
  const root = child(parsed.doc, 'ClientRegistrationRequest');
  const data = child(root, 'Data');
  if (!root || !data) return { ok: false, defect: 'the body is not a <ClientRegistrationRequest> with <Data>' };
  const signatureHex = text(child(child(root, 'Signature'), 'SignatureValue'))?.trim() ?? '';
  if (signatureHex === '') return { ok: false, defect: 'the request has no <Signature><SignatureValue>' };
  const certificates = child(data, 'Certificates');
  const signing = hexField(child(certificates, 'Signing'), 'signing');
  if (typeof signing === 'string') return { ok: false, defect: signing };
  const encryption = hexField(child(certificates, 'Encryption'), 'encryption');
  if (typeof encryption === 'string') return { ok: false, defect: encryption };
  const properties = new Map(
    children(child(data, 'DiscoveryProperties'), 'Property').map((p) => [
      attribute(p, 'Name') ?? '',
      attribute(p, 'Value') ?? '',
    ]),
  );
  const requestType = attribute(data, 'RequestType');
  if (requestType !== 'Registration' && requestType !== 'Confirmation') {
    return { ok: false, defect: `RequestType '${requestType ?? ''}' is neither Registration nor Confirmation` };
  }
  const internetFlag = properties.get('InternetFlag') ?? '0';
  if (internetFlag !== '0' && internetFlag !== '1')
    return { ok: false, defect: `InternetFlag '${internetFlag}' is neither 0 nor 1` };
  const agent = child(data, 'AgentInformation');
  return {
    ok: true,
    request: {
      hashAlgorithm: attribute(data, 'HashAlgorithm') ?? '',
      smsid: attribute(data, 'SMSID') ?? '',
      requestType,
      timeStamp: attribute(data, 'TimeStamp') ?? '',
      agentIdentity: attribute(agent, 'AgentIdentity') ?? '',
      agentVersion: attribute(agent, 'AgentVersion') ?? '',
      encryptionCertificateDer: encryption,
      signingCertificateDer: signing,
      netbiosName: properties.get('Netbios Name') ?? '',
      fqdn: properties.get('FQ Name') ?? '',
      localeId: properties.get('Locale ID') ?? '',
      internetFlag,
      signedBytes: Buffer.from(bodyText.slice(start, end + endTag.length), 'utf16le'),
      signatureHex,
    },
  };
}

export type RegistrationStatus = '0' | '1' | '2' | '3';

export interface RegistrationResponse {
  responseType: RequestType;
  timeStamp: string;
  /** 0 registered, 1 pending, 2 could not process, 3 rejected. */
  status: RegistrationStatus;
  smsid: string;
  /** ccmlab's own attribute (modern replies carry an approval state; its name is not public). */
  approval?: string;
}

export function buildRegistrationResponse(response: RegistrationResponse): string {
  const approval = response.approval !== undefined ? ` ApprovalStatus="${escapeXml(response.approval)}"` : '';
  return `<ClientRegistrationResponse ResponseType="${response.responseType}" TimeStamp="${escapeXml(response.timeStamp)}" Status="${response.status}" SMSID="${escapeXml(response.smsid)}"${approval}/>`;
}

export function parseRegistrationResponse(
  bodyText: string,
): { ok: true; response: RegistrationResponse } | { ok: false; defect: string } {
  const parsed = parseXml(bodyText, 'the registration reply', 64 * 1024);
  if (!parsed.ok) return parsed;
  const node = child(parsed.doc, 'ClientRegistrationResponse');
  const status = attribute(node, 'Status');
  if (!node || (status !== '0' && status !== '1' && status !== '2' && status !== '3')) {
    return { ok: false, defect: 'the reply is not a <ClientRegistrationResponse> with Status 0 to 3' };
  }
  const responseType = attribute(node, 'ResponseType') === 'Confirmation' ? 'Confirmation' : 'Registration';
  return {
    ok: true,
    response: {
      responseType,
      timeStamp: attribute(node, 'TimeStamp') ?? '',
      status,
      smsid: attribute(node, 'SMSID') ?? '',
      approval: attribute(node, 'ApprovalStatus'),
    },
  };
}

/**
 * Bounds on what a registration may carry: the real product's limits where it has them
 * (NetBIOS name 15 characters, FQDN 255 with labels of 63), ccmlab's elsewhere. The site
 * stores and logs these fields, so nothing beyond them is accepted.
 */
export const REGISTRATION_FIELD_LIMITS = {
  netbiosName: 15,
  fqdn: 255,
  localeId: 5,
  smsid: 41,
  timeStamp: 32,
  agentIdentity: 64,
  agentVersion: 32,
  hashAlgorithm: 64,
  /** DER bytes of each certificate. */
  certificate: 16 * 1024,
  /** Hex characters of the signature (RSA 4096). */
  signature: 1024,
} as const;

// A TimeStamp as .NET writes a UTC DateTime: whole seconds, or up to seven fraction digits (ticks).
const TIME_STAMP = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,7}))?Z?$/;

/**
 * The instant a registration's TimeStamp names, in UTC (read as UTC when the Z is left off);
 * undefined unless it is in that form and names a real date and time (no 31 February, no
 * hour 24, no year before 1000).
 */
export function parseRegistrationTimeStamp(text: string): Date | undefined {
  const m = TIME_STAMP.exec(text);
  if (!m) return undefined;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number);
  const millis = m[7] === undefined ? 0 : Math.floor(Number(`0.${m[7]}`) * 1000);
  const time = new Date(Date.UTC(year, month - 1, day, hour, minute, second, millis));
  const named = [
    time.getUTCFullYear(),
    time.getUTCMonth() + 1,
    time.getUTCDate(),
    time.getUTCHours(),
    time.getUTCMinutes(),
    time.getUTCSeconds(),
  ];
  return year >= 1000 && named.every((value, i) => value === [year, month, day, hour, minute, second][i])
    ? time
    : undefined;
}

const NETBIOS_NAME = /^[A-Za-z0-9!@#$%^&'(){}~_-]{1,15}$/;
const FQDN =
  /^(?=.{1,255}$)[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?(?:\.[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?)*\.?$/;

/** The first field of a parsed request that is beyond its limit or out of shape, if any. */
export function registrationFieldDefect(request: ParsedRegistrationRequest): string | undefined {
  const limits = REGISTRATION_FIELD_LIMITS;
  const checks: Array<[string, string, (value: string) => boolean]> = [
    ['Netbios Name', request.netbiosName, (v) => NETBIOS_NAME.test(v)],
    ['FQ Name', request.fqdn, (v) => FQDN.test(v)],
    ['Locale ID', request.localeId, (v) => /^\d{1,5}$/.test(v)],
    [
      'SMSID',
      request.smsid,
      (v) => v === '' || (v.length <= limits.smsid + 2 && v.startsWith('GUID:') && parseSmsid(v) !== undefined),
    ],
    ['TimeStamp', request.timeStamp, (v) => parseRegistrationTimeStamp(v) !== undefined],
    ['AgentIdentity', request.agentIdentity, (v) => /^[\x20-\x7e]{0,64}$/.test(v)],
    ['AgentVersion', request.agentVersion, (v) => /^[0-9.]{0,32}$/.test(v)],
    ['HashAlgorithm', request.hashAlgorithm, (v) => /^[0-9.]{0,64}$/.test(v)],
    ['SignatureValue', request.signatureHex, (v) => v.length <= limits.signature],
  ];
  for (const [name, value, ok] of checks) {
    if (!ok(value))
      return `${name} (${countOf(value.length, 'character')}) is beyond its limit or not in the expected form`;
  }
  for (const [name, der] of [
    ['signing', request.signingCertificateDer],
    ['encryption', request.encryptionCertificateDer],
  ] as const) {
    if (der.length > limits.certificate)
      return `the ${name} certificate is ${der.length} bytes, more than ${limits.certificate}`;
  }
  return undefined;
}
