import * as crypto from 'node:crypto';
import { privateKeyOf } from '../../src/pki/certificates';
import { rsaJwkFromPkcs8 } from '../../src/pki/rsa-private-key';

/** An RSA key read from PKCS#8 by hand is the key OpenSSL reads; anything else is left to OpenSSL. */

const { privateKey, publicKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
const der = privateKey.export({ type: 'pkcs8', format: 'der' });

test('gives the JWK that node:crypto exports for the same key', () => {
  expect(rsaJwkFromPkcs8(der)).toEqual(privateKey.export({ format: 'jwk' }));
});

test('privateKeyOf signs with the key in the PEM, so the public key verifies it', () => {
  const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const data = Buffer.from('CCM message');
  const signature = crypto.sign('sha256', data, privateKeyOf(pem));
  expect(crypto.verify('sha256', data, publicKey, signature)).toBe(true);
  expect(privateKeyOf(pem).asymmetricKeyDetails?.modulusLength).toBe(2048);
});

test('other keys and encrypted keys are not read (undefined), and privateKeyOf still imports them', () => {
  const ec = crypto.generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey;
  expect(rsaJwkFromPkcs8(ec.export({ type: 'pkcs8', format: 'der' }))).toBeUndefined();
  expect(privateKeyOf(ec.export({ type: 'pkcs8', format: 'pem' }).toString()).asymmetricKeyType).toBe('ec');
  const encrypted = privateKey.export({ type: 'pkcs8', format: 'der', cipher: 'aes-128-cbc', passphrase: 'x' });
  expect(rsaJwkFromPkcs8(encrypted)).toBeUndefined();
  expect(rsaJwkFromPkcs8(privateKey.export({ type: 'pkcs1', format: 'der' }))).toBeUndefined();
});

test('truncated, extended or damaged DER gives undefined, never a throw or a read past the end', () => {
  for (let length = 0; length < der.length; length += 7)
    expect(rsaJwkFromPkcs8(der.subarray(0, length))).toBeUndefined();
  expect(rsaJwkFromPkcs8(Buffer.concat([der, Buffer.from([0])]))).toBeUndefined();
  // Damage in any header byte (tags and lengths) before the modulus.
  for (let offset = 0; offset < 40; offset += 1) {
    const damaged = Buffer.from(der);
    damaged[offset] ^= 0xff;
    expect(() => rsaJwkFromPkcs8(damaged)).not.toThrow();
  }
});

test('a damaged PEM is refused by privateKeyOf as node:crypto refuses it', () => {
  expect(() => privateKeyOf('-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n')).toThrow();
});
