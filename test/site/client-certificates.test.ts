import * as crypto from 'node:crypto';
import { issueCertificate } from '../../src/pki/certificates';
import { ClientCertificates } from '../../src/site/client-certificates';
import { keyIdOf } from '../../src/site/clients';

/** What the site keeps of clients' certificates, and the key id it records for them. */

const spkiKeyId = (key: crypto.KeyObject) =>
  crypto
    .createHash('sha256')
    .update(key.export({ type: 'spki', format: 'der' }))
    .digest('hex');

test("a key's id is SHA-256 of its SPKI DER as OpenSSL encodes it, for RSA keys of any size and exponent and for other keys", () => {
  const keys = [
    crypto.generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey,
    crypto.generateKeyPairSync('rsa', { modulusLength: 1024, publicExponent: 3 }).publicKey,
    crypto.generateKeyPairSync('rsa', { modulusLength: 3072, publicExponent: 0xffffffff }).publicKey,
    crypto.generateKeyPairSync('rsa-pss', { modulusLength: 2048 }).publicKey,
    crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey,
  ];
  for (const key of keys) expect(keyIdOf(key)).toBe(spkiKeyId(key));
});

test('a certificate is parsed once; what is kept is what parsing it gives; bytes that are not a certificate throw and are not kept', async () => {
  const issued = await issueCertificate({
    commonName: 'FLEET00001',
    notBefore: new Date('2026-01-01T00:00:00Z'),
    notAfter: new Date('2027-01-01T00:00:00Z'),
  });
  const der = new crypto.X509Certificate(issued.certificatePem).raw;
  const certificates = new ClientCertificates();
  const parsed = certificates.parse(der);
  expect(certificates.parse(Buffer.from(der))).toBe(parsed);
  expect(parsed.validFrom).toBe(Date.parse('2026-01-01T00:00:00Z'));
  expect(parsed.validTo).toBe(Date.parse('2027-01-01T00:00:00Z'));
  expect([parsed.keyType, parsed.modulusLength]).toEqual(['rsa', 2048]);
  expect(parsed.keyId).toBe(spkiKeyId(parsed.publicKey));
  const garbage = Buffer.from('not a certificate');
  expect(() => certificates.parse(garbage)).toThrow();
  expect(() => certificates.parse(garbage)).toThrow();
});
