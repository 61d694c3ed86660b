import * as zlib from 'node:zlib';
import { countOf, decodeText } from '../core/text';
import { attribute, child, escapeXml, parseXml, text, type XmlNode } from './xml';

/**
 * The MP's message framing: multipart/mixed with a fixed boundary; part 1 is the `<Msg>`
 * header in UTF-16LE with BOM, part 2 the zlib stream of the body. A request's stream is the
 * UTF-16LE body, one NUL character and ASCII CRLF; a reply's has no CRLF. `Body Length`
 * counts the uncompressed bytes without that CRLF.
 */

export const BOUNDARY = 'aAbBcCdDv1234567890VxXyYzZ';
export const MULTIPART_CONTENT_TYPE = `multipart/mixed; boundary="${BOUNDARY}"`;

export interface MessageLimits {
  /** Largest inflated body, in bytes. */
  maxInflated: number;
  /** Largest header XML, in characters. */
  maxHeader: number;
}

export const DEFAULT_MESSAGE_LIMITS: MessageLimits = { maxInflated: 4 * 1024 * 1024, maxHeader: 64 * 1024 };

export interface MsgHeader {
  id: string;
  sourceHost: string;
  targetEndpoint: string;
  targetHost?: string;
  targetAddress?: string;
  replyTo?: string;
  sentTime?: string;
  correlationId?: string;
  /** Request only: the client accepts a zlib-compressed reply. */
  replyCompression?: boolean;
  timeout?: number;
  /** Extra hook elements, as XML (e.g. a Hook2 clientauth signature). */
  extraHooks?: string;
}

function headerXml(header: MsgHeader, bodyLength: number): string {
  const el = (name: string, value: string | number | undefined) =>
    value === undefined ? '' : `<${name}>${escapeXml(String(value))}</${name}>`;
  return (
    `<Msg${header.replyCompression ? ' ReplyCompression="zlib"' : ''} SchemaVersion="1.1">` +
    `<Body Type="ByteRange" Length="${bodyLength}" Offset="0" />` +
    el('CorrelationID', header.correlationId) +
    `<Hooks>${header.extraHooks ?? ''}<Hook3 Name="zlib-compress" /></Hooks>` +
    el('ID', header.id) +
    '<Payload Type="inline" /><Priority>0</Priority><Protocol>http</Protocol><ReplyMode>Sync</ReplyMode>' +
    el('ReplyTo', header.replyTo) +
    el('SentTime', header.sentTime) +
    el('SourceHost', header.sourceHost) +
    el('TargetAddress', header.targetAddress) +
    el('TargetEndpoint', header.targetEndpoint) +
    el('TargetHost', header.targetHost) +
    el('Timeout', header.timeout) +
    '</Msg>'
  );
}

function frame(header: MsgHeader, body: Buffer, bodyLength: number): Buffer {
  const headerBytes = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(headerXml(header, bodyLength), 'utf16le')]);
  return Buffer.concat([
    Buffer.from(`--${BOUNDARY}\r\ncontent-type: text/plain; charset=UTF-16\r\n\r\n`, 'latin1'),
    headerBytes,
    Buffer.from(`\r\n--${BOUNDARY}\r\ncontent-type: application/octet-stream\r\n\r\n`, 'latin1'),
    // The fastest level: a message's size hardly changes, and it compresses in half the time.
    zlib.deflateSync(body, { level: zlib.constants.Z_BEST_SPEED }),
    Buffer.from(`\r\n--${BOUNDARY}--`, 'latin1'),
  ]);
}

/** A client's request: body text + NUL + CRLF inside the zlib stream. */
export function encodeRequest(header: MsgHeader, bodyText: string): Buffer {
  const body = Buffer.from(`${bodyText}\0`, 'utf16le');
  return frame(
    { replyCompression: true, ...header },
    Buffer.concat([body, Buffer.from('\r\n', 'latin1')]),
    body.length,
  );
}

/** An MP's reply: body text + NUL, no CRLF (public clients drop the last character). */
export function encodeReply(header: MsgHeader, bodyText: string): Buffer {
  const body = Buffer.from(`${bodyText}\0`, 'utf16le');
  return frame(header, body, body.length);
}

export interface DecodedMessage {
  header: MsgHeader;
  /** The parsed <Msg> element, for fields this module does not name. */
  headerNode: XmlNode;
  bodyText: string;
}

export type MessageDecodeResult =
  { ok: true; message: DecodedMessage } | { ok: false; code: MessageDefect; defect: string };

export type MessageDefect = 'BAD_CONTENT_TYPE' | 'BAD_MULTIPART' | 'BAD_HEADER' | 'BAD_BODY' | 'BODY_TOO_LARGE';

function bad(code: MessageDefect, defect: string): MessageDecodeResult {
  return { ok: false, code, defect };
}

/** The boundary named by a multipart/mixed Content-Type, if it is one. */
export function boundaryOf(contentType: string | undefined): string | undefined {
  if (!contentType || !/^\s*multipart\/mixed\s*;/i.test(contentType)) return undefined;
  const m = /boundary\s*=\s*(?:"([^"]{1,70})"|([^\s;"]{1,70}))/i.exec(contentType);
  return m ? (m[1] ?? m[2]) : undefined;
}

interface Part {
  contentType: string;
  body: Buffer;
}

function splitMultipart(bytes: Buffer, boundary: string): Part[] | string {
  const delimiter = Buffer.from(`--${boundary}`, 'latin1');
  if (!bytes.subarray(0, delimiter.length).equals(delimiter))
    return 'the body does not start with the multipart boundary';
  const separator = Buffer.from(`\r\n--${boundary}`, 'latin1');
  const parts: Part[] = [];
  let pos = delimiter.length;
  for (;;) {
    if (bytes.subarray(pos, pos + 2).toString('latin1') === '--') return parts;
    if (bytes.subarray(pos, pos + 2).toString('latin1') !== '\r\n')
      return 'a multipart boundary is not followed by CRLF';
    pos += 2;
    const headerEnd = bytes.indexOf('\r\n\r\n', pos, 'latin1');
    if (headerEnd < 0 || headerEnd - pos > 1024) return 'a multipart part has no header end';
    const headers = bytes.subarray(pos, headerEnd).toString('latin1').split('\r\n');
    const contentType =
      headers.map((h) => /^content-type\s*:\s*(.*)$/i.exec(h)?.[1]).find((v) => v !== undefined) ?? '';
    const next = bytes.indexOf(separator, headerEnd + 4);
    if (next < 0) return 'the multipart body has no closing boundary';
    parts.push({ contentType: contentType.trim(), body: bytes.subarray(headerEnd + 4, next) });
    if (parts.length > 8) return 'the multipart body has too many parts';
    pos = next + separator.length;
  }
}

function stringField(node: XmlNode | undefined, name: string): string | undefined {
  return text(child(node, name));
}

export function decodeMessage(
  bytes: Buffer,
  contentType: string | undefined,
  limits: MessageLimits = DEFAULT_MESSAGE_LIMITS,
): MessageDecodeResult {
  const boundary = boundaryOf(contentType);
  if (!boundary)
    return bad('BAD_CONTENT_TYPE', `Content-Type '${contentType ?? ''}' is not multipart/mixed with a boundary`);
  const parts = splitMultipart(bytes, boundary);
  if (typeof parts === 'string') return bad('BAD_MULTIPART', parts);
  if (parts.length !== 2)
    return bad('BAD_MULTIPART', `the message has ${parts.length} parts; it needs 2 (header, body)`);
  const [headerPart, bodyPart] = parts;
  if (!/^text\/plain/i.test(headerPart.contentType))
    return bad('BAD_MULTIPART', `part 1 is '${headerPart.contentType}', not text/plain`);
  if (!/^application\/octet-stream/i.test(bodyPart.contentType))
    return bad('BAD_MULTIPART', `part 2 is '${bodyPart.contentType}', not application/octet-stream`);
  const parsed = parseXml(decodeText(headerPart.body), 'the <Msg> header', limits.maxHeader);
  if (!parsed.ok) return bad('BAD_HEADER', parsed.defect);
  const msg = child(parsed.doc, 'Msg');
  if (!msg) return bad('BAD_HEADER', 'the header part has no <Msg> element');
  const declaredLength = Number(attribute(child(msg, 'Body'), 'Length'));
  const targetEndpoint = stringField(msg, 'TargetEndpoint');
  if (!targetEndpoint) return bad('BAD_HEADER', 'the <Msg> header names no <TargetEndpoint>');
  let inflated: Buffer;
  try {
    inflated = zlib.inflateSync(bodyPart.body, { maxOutputLength: limits.maxInflated + 2 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
      return bad('BODY_TOO_LARGE', `the body inflates to more than ${limits.maxInflated} bytes`);
    }
    return bad('BAD_BODY', `the body is not a zlib stream (${(error as Error).message})`);
  }
  // A request's stream ends NUL CRLF; a reply's ends NUL.
  let body = inflated;
  if (
    body.length >= 4 &&
    body[body.length - 2] === 0x0d &&
    body[body.length - 1] === 0x0a &&
    body[body.length - 3] === 0 &&
    body[body.length - 4] === 0
  ) {
    body = body.subarray(0, body.length - 2);
  }
  if (body.length > limits.maxInflated)
    return bad('BODY_TOO_LARGE', `the body inflates to more than ${limits.maxInflated} bytes`);
  if (!Number.isInteger(declaredLength) || declaredLength !== body.length) {
    return bad(
      'BAD_BODY',
      `<Body Length> says ${attribute(child(msg, 'Body'), 'Length') ?? '(none)'} but the body holds ${countOf(body.length, 'byte')}`,
    );
  }
  if (body.length % 2 !== 0) return bad('BAD_BODY', 'the body is not UTF-16LE text (odd length)');
  let bodyText = body.toString('utf16le');
  if (bodyText.endsWith('\0')) bodyText = bodyText.slice(0, -1);
  const header: MsgHeader = {
    id: stringField(msg, 'ID') ?? '',
    sourceHost: stringField(msg, 'SourceHost') ?? '',
    targetEndpoint,
    targetHost: stringField(msg, 'TargetHost'),
    targetAddress: stringField(msg, 'TargetAddress'),
    replyTo: stringField(msg, 'ReplyTo'),
    sentTime: stringField(msg, 'SentTime'),
    correlationId: stringField(msg, 'CorrelationID'),
    replyCompression: attribute(msg, 'ReplyCompression') === 'zlib',
  };
  const defect = headerFieldDefect(header);
  if (defect) return bad('BAD_HEADER', defect);
  return { ok: true, message: { header, headerNode: msg, bodyText } };
}

/**
 * Bounds on the header fields an MP routes on, logs or echoes (ReplyTo becomes the
 * reply's TargetEndpoint): ccmlab's, as the public record gives none.
 */
export const HEADER_FIELD_LIMITS = {
  targetEndpoint: 64,
  id: 64,
  sourceHost: 255,
  targetHost: 255,
  targetAddress: 255,
  replyTo: 512,
  sentTime: 32,
  correlationId: 64,
} as const;
// An endpoint (MP_ClientRegistration) or, in a reply, the address it answers (direct:HOST:SccmMessaging).
const ENDPOINT = /^[A-Za-z0-9_.:-]+$/;
const PRINTABLE = /^[\x20-\x7e\u00a0-\uffff]*$/;

function headerFieldDefect(header: MsgHeader): string | undefined {
  if (!ENDPOINT.test(header.targetEndpoint))
    return "<TargetEndpoint> is not an endpoint name or address (letters, digits, '_', '.', ':' and '-')";
  for (const [name, max] of Object.entries(HEADER_FIELD_LIMITS) as Array<[keyof typeof HEADER_FIELD_LIMITS, number]>) {
    const value = header[name];
    if (value === undefined) continue;
    if (value.length > max) return `<${name}> is ${value.length} characters, more than the ${max} allowed`;
    if (!PRINTABLE.test(value)) return `<${name}> holds control characters`;
  }
  return undefined;
}
