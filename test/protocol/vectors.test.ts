import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { decodeMessage, MULTIPART_CONTENT_TYPE } from '../../src/protocol/ccm-message';
import { verifyBytes } from '../../src/protocol/ccm-signature';
import { parseRegistrationRequest, parseRegistrationResponse } from '../../src/protocol/registration';
import { fixture } from '../support/paths';

/** Vectors made by an encoder written independently of ccmlab (fixtures/vectors/README.md). */
const dir = fixture('vectors');
const expected = JSON.parse(fs.readFileSync(path.join(dir, 'vectors.json'), 'utf8')) as Record<
  string,
  Record<string, unknown>
>;
const read = (name: string) => fs.readFileSync(path.join(dir, name));

function decodeRequest(name: string) {
  const decoded = decodeMessage(read(name), expected['registration-request.bin'].contentType as string);
  if (!decoded.ok) throw new Error(decoded.defect);
  const parsed = parseRegistrationRequest(decoded.message.bodyText);
  if (!parsed.ok) throw new Error(parsed.defect);
  return { message: decoded.message, request: parsed.request };
}

describe('independent test vectors', () => {
  test('registration-request.bin decodes to what vectors.json says', () => {
    const want = expected['registration-request.bin'];
    expect(want.contentType).toBe(MULTIPART_CONTENT_TYPE);
    const { message, request } = decodeRequest('registration-request.bin');
    expect(message.header.targetEndpoint).toBe('MP_ClientRegistration');
    expect(message.header.replyCompression).toBe(true);
    expect(Buffer.byteLength(message.bodyText, 'utf16le') + 2).toBe(want.bodyLength);
    expect(request).toMatchObject({
      netbiosName: want.netbiosName,
      fqdn: want.fqdn,
      requestType: want.requestType,
      smsid: want.smsid,
      internetFlag: want.internetFlag,
      hashAlgorithm: '1.2.840.113549.1.1.11',
    });
    expect(crypto.createHash('sha256').update(request.signedBytes).digest('hex')).toBe(want.signedBytesSha256);
    expect(crypto.createHash('sha1').update(request.signingCertificateDer).digest('hex').toUpperCase()).toBe(
      want.signingCertSha1,
    );
    const key = new crypto.X509Certificate(request.signingCertificateDer).publicKey;
    expect(verifyBytes(request.signedBytes, request.signatureHex, key)).toBe(want.signatureValid);
  });

  test('registration-request-badsig.bin: the signature does not verify', () => {
    const { request } = decodeRequest('registration-request-badsig.bin');
    const key = new crypto.X509Certificate(request.signingCertificateDer).publicKey;
    expect(verifyBytes(request.signedBytes, request.signatureHex, key)).toBe(false);
  });

  test('registration-reply-pending.bin parses as a pending reply', () => {
    const want = expected['registration-reply-pending.bin'];
    const decoded = decodeMessage(read('registration-reply-pending.bin'), MULTIPART_CONTENT_TYPE);
    expect(decoded.ok).toBe(true);
    if (!decoded.ok) return;
    const parsed = parseRegistrationResponse(decoded.message.bodyText);
    expect(parsed).toMatchObject({ ok: true, response: { status: want.status, smsid: want.smsid } });
  });
});
