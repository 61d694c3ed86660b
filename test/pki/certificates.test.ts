import * as crypto from 'node:crypto';
import forge from 'node-forge';
import { certificateDer, issueCertificate, privateKeyOf } from '../../src/pki/certificates';
import { crlDistributionPoints } from '../../src/pki/crl';

/** Certificates built with forge's ASN.1 and signed with node:crypto read and verify as any other. */

const now = Date.now();
const validity = { notBefore: new Date(now - 86_400_000), notAfter: new Date(now + 86_400_000) };

test('self-signed and issued certificates verify with node:crypto and forge, and keep what was asked', async () => {
  const root = await issueCertificate({
    commonName: 'SMS Issuing',
    ...validity,
    isCa: true,
    keyUsage: { keyCertSign: true, cRLSign: true },
  });
  const rootX509 = new crypto.X509Certificate(root.certificatePem);
  expect(rootX509.verify(rootX509.publicKey)).toBe(true);
  expect(rootX509.ca).toBe(true);
  const server = await issueCertificate({
    commonName: 'cmg.lab.test',
    dnsNames: ['cmg.lab.test', 'localhost'],
    ipAddresses: ['127.0.0.1'],
    ...validity,
    keyUsage: { digitalSignature: true, keyEncipherment: true },
    extendedKeyUsage: ['1.3.6.1.5.5.7.3.1', '1.3.6.1.4.1.311.101'],
    crlDistributionPoints: ['http://mp01.lab.test/CRL/sms-issuing.crl'],
    issuer: root,
  });
  const x509 = new crypto.X509Certificate(server.certificatePem);
  expect(x509.verify(rootX509.publicKey)).toBe(true);
  expect(x509.checkIssued(rootX509)).toBe(true);
  expect(x509.subjectAltName).toBe('DNS:cmg.lab.test, DNS:localhost, IP Address:127.0.0.1');
  expect(x509.keyUsage).toEqual(['1.3.6.1.5.5.7.3.1', '1.3.6.1.4.1.311.101']);
  expect(crlDistributionPoints(x509.raw)).toEqual(['http://mp01.lab.test/CRL/sms-issuing.crl']);
  expect(x509.publicKey.export({ type: 'spki', format: 'pem' })).toBe(server.publicKeyPem);
  expect(x509.validFrom).toBe(rootX509.validFrom);
  expect(
    forge.pki.certificateFromPem(root.certificatePem).verify(forge.pki.certificateFromPem(server.certificatePem)),
  ).toBe(true);
});

test('a PEM private key is parsed once while it is in use, and a certificate decodes to the DER that parsing gives', async () => {
  const issued = await issueCertificate({ commonName: 'SMS', ...validity });
  expect(privateKeyOf(issued.privateKeyPem)).toBe(privateKeyOf(issued.privateKeyPem));
  expect(privateKeyOf(issued.privateKeyPem).asymmetricKeyType).toBe('rsa');
  expect(certificateDer(issued.certificatePem).equals(new crypto.X509Certificate(issued.certificatePem).raw)).toBe(
    true,
  );
  expect(
    certificateDer(issued.certificatePem.replace(/\n/g, '\r\n')).equals(
      new crypto.X509Certificate(issued.certificatePem).raw,
    ),
  ).toBe(true);
  expect(() => certificateDer('not a certificate')).toThrow();
});
