import * as crypto from 'node:crypto';
import * as zlib from 'node:zlib';

/**
 * A second encoder of the MP wire format, written from DESIGN.md's description alone and
 * sharing no code with src/protocol: tests use it to show the MP speaks the public format,
 * not merely ccmlab's own dialect.
 */

const B = 'aAbBcCdDv1234567890VxXyYzZ';
export const CONTENT_TYPE = `multipart/mixed; boundary="${B}"`;

function sign(text: string, key: crypto.KeyObject): string {
  return crypto.sign('sha256', Buffer.from(text, 'utf16le'), key).reverse().toString('hex').toUpperCase();
}

export function message(endpoint: string, source: string, body: string): Buffer {
  const raw = Buffer.from(`${body}\0`, 'utf16le');
  const header =
    `<Msg ReplyCompression="zlib" SchemaVersion="1.1"><Body Type="ByteRange" Length="${raw.length}" Offset="0" />` +
    `<Hooks><Hook3 Name="zlib-compress" /></Hooks><ID>{${crypto.randomUUID().toUpperCase()}}</ID>` +
    `<ReplyTo>direct:${source}:SccmMessaging</ReplyTo><SourceHost>${source}</SourceHost>` +
    `<TargetEndpoint>${endpoint}</TargetEndpoint></Msg>`;
  return Buffer.concat([
    Buffer.from(`--${B}\r\ncontent-type: text/plain; charset=UTF-16\r\n\r\n`),
    Buffer.from([0xff, 0xfe]),
    Buffer.from(header, 'utf16le'),
    Buffer.from(`\r\n--${B}\r\ncontent-type: application/octet-stream\r\n\r\n`),
    zlib.deflateSync(Buffer.concat([raw, Buffer.from('\r\n')])),
    Buffer.from(`\r\n--${B}--`),
  ]);
}

export interface Identity {
  key: crypto.KeyObject;
  certDer: Buffer;
  netbios: string;
}

/** UTC yyyy-MM-ddTHH:mm:ssZ, as messages carry times. */
export function utcSeconds(when: Date): string {
  return when.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** A signed registration request; its TimeStamp is `signedAt` (the machine's time unless given). */
export function registration(
  id: Identity,
  type: 'Registration' | 'Confirmation',
  smsid: string,
  internet: boolean,
  sourceHost = id.netbios,
  signedAt = new Date(),
): Buffer {
  const hex = id.certDer.toString('hex').toUpperCase();
  const data =
    `<Data HashAlgorithm="1.2.840.113549.1.1.11" SMSID="${smsid}" RequestType="${type}" TimeStamp="${utcSeconds(signedAt)}">\r\n` +
    `<AgentInformation AgentIdentity="CCMSetup.exe" AgentVersion="5.00.9128.1000" AgentType="0" />\r\n` +
    `<Certificates><Encryption Encoding="HexBinary" KeyType="1">${hex}</Encryption><Signing Encoding="HexBinary" KeyType="1">${hex}</Signing></Certificates>\r\n` +
    `<DiscoveryProperties><Property Name="Netbios Name" Value="${id.netbios}" />\r\n<Property Name="FQ Name" Value="${id.netbios.toLowerCase()}.lab.test" />\r\n` +
    `<Property Name="Locale ID" Value="1033" />\r\n<Property Name="InternetFlag" Value="${internet ? 1 : 0}" />\r\n</DiscoveryProperties></Data>`;
  const body = `<ClientRegistrationRequest>${data}<Signature><SignatureValue>${sign(data, id.key)}</SignatureValue></Signature></ClientRegistrationRequest>`;
  return message('MP_ClientRegistration', sourceHost, body);
}

/** Reads a reply as public clients do: inflate, UTF-16LE, drop the last character. */
export function replyText(bytes: Buffer): string {
  const marker = Buffer.from('content-type: application/octet-stream\r\n\r\n');
  const start = bytes.indexOf(marker) + marker.length;
  const end = bytes.indexOf(Buffer.from(`\r\n--${B}--`));
  const text = zlib.inflateSync(bytes.subarray(start, end)).toString('utf16le');
  return text.slice(0, -1);
}

export function clientTokenHeaders(smsid: string, key: crypto.KeyObject, when: Date): Record<string, string> {
  const value = `${smsid};${utcSeconds(when)};2`;
  return { ClientToken: value, ClientTokenSignature: sign(`${value}\0`, key) };
}
