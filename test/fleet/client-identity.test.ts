import * as fs from 'node:fs';
import * as path from 'node:path';
import { systemClock } from '../../src/core/clock';
import { hasIdentity, loadIdentity, newIdentity, saveIdentity } from '../../src/fleet/client-identity';
import { generateRsaKeyPair } from '../../src/pki/certificates';
import { syncPaths } from '../../src/store/atomic-file';
import { GroupedFiles } from '../../src/store/state-store';
import { removeDir, tempDir } from '../support/paths';

/**
 * A fleet client's identity: its certificates and keys in the client's own certs/, and
 * fleet-identity.json naming them (no copy of a key); read back, the store holds those files,
 * so the install does not write them again. An identity of an earlier ccmlab (schema 1, keys
 * inside) is still read; one that names other files is damaged.
 */

let work: string;
let identity: Awaited<ReturnType<typeof newIdentity>>;
beforeAll(async () => {
  work = tempDir();
  const pair = await generateRsaKeyPair();
  identity = await newIdentity(systemClock, { signing: pair, encryption: pair });
});
afterAll(() => removeDir(work));

const read = (dir: string, file: string) => fs.readFileSync(path.join(dir, file), 'utf8');

test('saved: the certificates and keys in certs/ (0600), fleet-identity.json naming them; loaded, the same identity, and its files are not written again', async () => {
  const dir = path.join(work, 'C1');
  await saveIdentity(dir, identity, new GroupedFiles(syncPaths));
  expect(hasIdentity(dir)).toBe(true);
  expect(read(dir, 'certs/signing.key')).toBe(identity.signing.privateKeyPem);
  expect(read(dir, 'certs/encryption.pem')).toBe(identity.encryption.certificatePem);
  expect(fs.statSync(path.join(dir, 'certs', 'signing.key')).mode & 0o777).toBe(0o600);
  expect(read(dir, 'fleet-identity.json')).not.toContain('PRIVATE KEY');

  const store = new GroupedFiles(syncPaths);
  expect(loadIdentity(dir, store)).toEqual(identity);
  const inode = fs.statSync(path.join(dir, 'certs', 'signing.key')).ino;
  store.write(path.join(dir, 'certs', 'signing.key'), identity.signing.privateKeyPem, 0o600, 0o700);
  await store.flush();
  expect(fs.statSync(path.join(dir, 'certs', 'signing.key')).ino).toBe(inode);
});

test('schema 1 (the keys inside, as an earlier ccmlab wrote it) is still read', () => {
  const dir = path.join(work, 'C2');
  fs.mkdirSync(dir);
  fs.writeFileSync(path.join(dir, 'fleet-identity.json'), JSON.stringify({ schemaVersion: 1, ...identity }));
  expect(loadIdentity(dir, new GroupedFiles(syncPaths))).toEqual(identity);
});

test.each([
  ['names files outside certs/', { signing: { certificate: '../x.pem', key: 'certs/signing.key' } }],
  ['of an unknown schema', { schemaVersion: 3 }],
  ['without a canonical SMSID', { smsid: 'GUID:not-one' }],
  ['that is not an object', null],
])('an identity %s is damaged: remove the client dir', async (what, change) => {
  const dir = path.join(work, what.replace(/\W/g, '-'));
  await saveIdentity(dir, identity, new GroupedFiles(syncPaths));
  const document = JSON.parse(read(dir, 'fleet-identity.json')) as Record<string, unknown>;
  fs.writeFileSync(
    path.join(dir, 'fleet-identity.json'),
    JSON.stringify(change === null ? null : { ...document, ...change }),
  );
  expect(() => loadIdentity(dir, new GroupedFiles(syncPaths))).toThrow(
    `fleet client identity ${path.join(dir, 'fleet-identity.json')} is damaged; remove that client dir to enroll it afresh (if the site registered it, as a new device)`,
  );
});
