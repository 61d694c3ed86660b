import * as crypto from 'node:crypto';
import * as zlib from 'node:zlib';
import { decodeMessage, encodeReply, encodeRequest, MULTIPART_CONTENT_TYPE } from '../../src/protocol/ccm-message';
import {
  clientTokenValue,
  parseClientToken,
  signClientToken,
  verifyClientToken,
} from '../../src/protocol/ccm-signature';
import { buildRegistrationResponse, parseRegistrationResponse } from '../../src/protocol/registration';

const header = {
  id: '{1}',
  sourceHost: 'CLIENT01',
  targetEndpoint: 'MP_ClientRegistration',
  replyTo: 'direct:CLIENT01:SccmMessaging',
};

function inflatedBody(bytes: Buffer): Buffer {
  const marker = Buffer.from('content-type: application/octet-stream\r\n\r\n');
  const start = bytes.indexOf(marker) + marker.length;
  return zlib.inflateSync(bytes.subarray(start, bytes.lastIndexOf(Buffer.from('\r\n--'))));
}

describe('CCM message framing', () => {
  test('a request round-trips; its zlib stream ends NUL CRLF and Length leaves the CRLF out', () => {
    const bytes = encodeRequest(header, '<Körper/>');
    const raw = inflatedBody(bytes);
    expect(raw.subarray(-4)).toEqual(Buffer.from([0, 0, 0x0d, 0x0a]));
    const decoded = decodeMessage(bytes, MULTIPART_CONTENT_TYPE);
    expect(decoded.ok && (decoded.message.headerNode.Body as Record<string, string>)['@_Length']).toBe(
      String(raw.length - 2),
    );
    expect(decoded).toMatchObject({
      ok: true,
      message: {
        bodyText: '<Körper/>',
        header: {
          targetEndpoint: 'MP_ClientRegistration',
          replyTo: 'direct:CLIENT01:SccmMessaging',
          replyCompression: true,
        },
      },
    });
  });

  test('a reply ends NUL with no CRLF, and reads the way public clients read it', () => {
    const body = buildRegistrationResponse({
      responseType: 'Registration',
      timeStamp: '2026-11-25T10:00:00Z',
      status: '1',
      smsid: 'GUID:5C1E1B7E-0D7F-4C2B-9B2A-3E4F5A6B7C8D',
    });
    const bytes = encodeReply({ id: '{2}', sourceHost: 'MP01', targetEndpoint: 'direct:CLIENT01:SccmMessaging' }, body);
    const raw = inflatedBody(bytes);
    expect(raw.subarray(-2)).toEqual(Buffer.from([0, 0]));
    expect(parseRegistrationResponse(raw.toString('utf16le').slice(0, -1))).toMatchObject({
      ok: true,
      response: { status: '1' },
    });
    expect(bytes.subarray(0, 4).toString()).toBe('--aA');
    expect(bytes.toString('latin1')).toContain('\r\ncontent-type: application/octet-stream\r\n');
  });

  test.each([
    ['no boundary in Content-Type', encodeRequest(header, '<x/>'), 'text/plain', 'BAD_CONTENT_TYPE'],
    ['not multipart at all', Buffer.from('hello'), MULTIPART_CONTENT_TYPE, 'BAD_MULTIPART'],
    [
      'a Length that lies',
      Buffer.from(
        encodeRequest(header, '<x/>')
          .toString('latin1')
          .replace(/L\x00e\x00n\x00g\x00t\x00h\x00=\x00"\x00\d\x00/, (m) => m.replace(/\d\x00$/, '9\x00')),
        'latin1',
      ),
      MULTIPART_CONTENT_TYPE,
      'BAD_BODY',
    ],
  ])('%s', (_name, bytes, contentType, code) => {
    expect(decodeMessage(bytes, contentType)).toMatchObject({ ok: false, code });
  });

  test('inflation is bounded', () => {
    const bytes = encodeRequest(header, 'x'.repeat(100_000));
    expect(decodeMessage(bytes, MULTIPART_CONTENT_TYPE, { maxInflated: 10_000, maxHeader: 64 * 1024 })).toMatchObject({
      ok: false,
      code: 'BODY_TOO_LARGE',
    });
  });
});

describe('ClientToken proof', () => {
  const { privateKey, publicKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  const other = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });

  test('signs UTF-16LE text plus NUL, reversed hex, and verifies only with the right key', () => {
    const value = clientTokenValue('GUID:5C1E1B7E-0D7F-4C2B-9B2A-3E4F5A6B7C8D', new Date('2026-11-25T10:00:00.123Z'));
    expect(value).toBe('GUID:5C1E1B7E-0D7F-4C2B-9B2A-3E4F5A6B7C8D;2026-11-25T10:00:00Z;2');
    const signature = signClientToken(value, privateKey);
    expect(signature).toMatch(/^[0-9A-F]{512}$/);
    const forward = crypto.sign('sha256', Buffer.from(`${value}\0`, 'utf16le'), privateKey);
    expect(signature).toBe(Buffer.from(forward).reverse().toString('hex').toUpperCase());
    expect(verifyClientToken(value, signature, publicKey)).toBe(true);
    expect(verifyClientToken(value, signature, other.publicKey)).toBe(false);
    expect(verifyClientToken(value, 'ZZ', publicKey)).toBe(false);
  });

  test.each([
    '',
    'GUID:x;2026-11-25T10:00:00Z;2',
    'GUID:5C1E1B7E-0D7F-4C2B-9B2A-3E4F5A6B7C8D;yesterday;2',
    'GUID:5C1E1B7E-0D7F-4C2B-9B2A-3E4F5A6B7C8D;2026-11-25T10:00:00Z;1',
  ])('refuses %p', (value) => {
    expect(parseClientToken(value).ok).toBe(false);
  });
});
