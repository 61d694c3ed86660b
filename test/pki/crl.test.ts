import * as crypto from 'node:crypto';
import { issueCertificate } from '../../src/pki/certificates';
import { buildCrl, crlDistributionPoints, readCrl } from '../../src/pki/crl';

const now = new Date('2026-11-25T10:00:00Z');
const day = 86_400_000;

describe('CRLs built with node-forge ASN.1 and signed with node:crypto', () => {
  test('a revoked serial is listed; the signature verifies with the root and not with another key; CDP URLs read back', async () => {
    const root = await issueCertificate({
      commonName: 'SMS Issuing',
      notBefore: new Date(now.getTime() - day),
      notAfter: new Date(now.getTime() + 365 * day),
      isCa: true,
      keyUsage: { keyCertSign: true, cRLSign: true },
    });
    const leaf = await issueCertificate({
      commonName: 'cmg',
      notBefore: now,
      notAfter: new Date(now.getTime() + day),
      crlDistributionPoints: ['http://mp01.contoso.com/CRL/sms-issuing.crl'],
      issuer: root,
    });
    const serial = new crypto.X509Certificate(leaf.certificatePem).serialNumber;
    const der = buildCrl({
      issuerCertificatePem: root.certificatePem,
      issuerKey: crypto.createPrivateKey(root.privateKeyPem),
      thisUpdate: now,
      nextUpdate: new Date(now.getTime() + 7 * day),
      number: 3,
      revoked: [{ serial, revokedAt: now }],
    });
    const rootKey = new crypto.X509Certificate(root.certificatePem).publicKey;
    const parsed = readCrl(der, rootKey);
    expect([...parsed.revokedSerials]).toEqual([serial.replace(/^(00)+/, '')]);
    expect(parsed.thisUpdate.toISOString()).toBe(now.toISOString());
    expect(parsed.nextUpdate?.getTime()).toBe(now.getTime() + 7 * day);
    expect(() => readCrl(der, crypto.generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey)).toThrow(
      /does not verify/,
    );
    expect(crlDistributionPoints(new crypto.X509Certificate(leaf.certificatePem).raw)).toEqual([
      'http://mp01.contoso.com/CRL/sms-issuing.crl',
    ]);
    const empty = readCrl(
      buildCrl({
        issuerCertificatePem: root.certificatePem,
        issuerKey: crypto.createPrivateKey(root.privateKeyPem),
        thisUpdate: now,
        nextUpdate: now,
        number: 1,
        revoked: [],
      }),
      rootKey,
    );
    expect(empty.revokedSerials.size).toBe(0);
  });
});
