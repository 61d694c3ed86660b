import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CLIENT_FILES, refuseCertsLink, writeCertificates } from '../client/client-state';
import { createCertificates, type ClientKeys } from '../client/identity';
import type { ClientIdentity } from '../client/install';
import type { Clock } from '../core/clock';
import { CcmlabError } from '../core/errors';
import { privateKeyOf } from '../pki/certificates';
import { isCanonicalSmsid, newSmsid } from '../protocol/smsid';
import { PRIVATE_DIR_MODE, SECRET_FILE_MODE } from '../store/atomic-file';
import { readBoundedText, type FileRole } from '../store/files';
import type { GroupedFiles } from '../store/state-store';

/**
 * A fleet client's identity, fixed before its first request: its certificates and their keys
 * in the client's own state (certs/, 0600, where the installed client keeps them), then
 * `<client dir>/fleet-identity.json` (0600), which holds its SMSID and names those files. Every
 * attempt to enroll the client installs this identity, so a retry after a crash or a failure
 * re-registers the same SMSID with the same key, which the site accepts, and a client is never
 * registered twice under two identities. All of it is durable before the first request, and
 * fleet-identity.json is renamed into place after the certificates. Nothing of the identity is
 * written twice: the install saving the same certificates and keys finds them held by the
 * fleet's store, which skips them.
 */

const IDENTITY_FILE = 'fleet-identity.json';
const MAX_IDENTITY_BYTES = 64 * 1024;
const MAX_PEM_BYTES = 16 * 1024;
/** Where fleet-identity.json says the identity's certificates and keys are: the client state's own files. */
const IDENTITY_FILES = {
  signing: { certificate: CLIENT_FILES.signingCert, key: CLIENT_FILES.signingKey },
  encryption: { certificate: CLIENT_FILES.encryptionCert, key: CLIENT_FILES.encryptionKey },
} as const;
const IDENTITY_ROLE: FileRole = {
  label: 'fleet client identity',
  code: 'CCMLAB_E_FLEET_DIR',
  fix: 'remove that client dir to enroll it afresh',
};

function identityFile(clientDir: string): string {
  return path.join(clientDir, IDENTITY_FILE);
}

export function hasIdentity(clientDir: string): boolean {
  return fs.existsSync(identityFile(clientDir));
}

/** A new SMSID and the client's certificates, made with `keys` (or new keys). */
export async function newIdentity(clock: Clock, keys: ClientKeys | undefined): Promise<ClientIdentity> {
  const { signing, encryption } = await createCertificates(clock, keys);
  return { smsid: newSmsid(), signing, encryption };
}

/**
 * The certificates and keys into the client's state and fleet-identity.json naming them, in
 * one flush of the store: every file's data synced before any is renamed into place,
 * fleet-identity.json renamed last, then their directories synced.
 */
export async function saveIdentity(clientDir: string, identity: ClientIdentity, store: GroupedFiles): Promise<void> {
  refuseCertsLink(clientDir);
  writeCertificates(clientDir, identity, store);
  const document = { schemaVersion: 2, smsid: identity.smsid, ...IDENTITY_FILES };
  store.write(identityFile(clientDir), `${JSON.stringify(document)}\n`, SECRET_FILE_MODE, PRIVATE_DIR_MODE);
  await store.flush();
}

function isKeyed(value: unknown): value is ClientIdentity['signing'] {
  const v = value as Partial<ClientIdentity['signing']> | undefined;
  if (typeof v?.certificatePem !== 'string' || typeof v.privateKeyPem !== 'string') return false;
  try {
    new crypto.X509Certificate(v.certificatePem);
    privateKeyOf(v.privateKeyPem);
    return true;
  } catch {
    return false;
  }
}

function damaged(file: string): never {
  throw new CcmlabError(
    'CCMLAB_E_FLEET_DIR',
    `fleet client identity ${file} is damaged; remove that client dir to enroll it afresh (if the site registered it, as a new device)`,
  );
}

type IdentityDocument = Partial<ClientIdentity> & { schemaVersion?: unknown };

/** A certificate and key named by fleet-identity.json (schema 2), read from the client's state and held by `store`. */
function namedFiles(
  clientDir: string,
  named: unknown,
  expected: { certificate: string; key: string },
  store: GroupedFiles,
) {
  const n = named as { certificate?: unknown; key?: unknown } | undefined;
  if (n?.certificate !== expected.certificate || n.key !== expected.key) return undefined;
  const read = (file: string) => {
    const text = readBoundedText(path.join(clientDir, file), MAX_PEM_BYTES, IDENTITY_ROLE, { follow: false });
    store.holds(path.join(clientDir, file), text);
    return text;
  };
  return { certificatePem: read(expected.certificate), privateKeyPem: read(expected.key) };
}

/** The identity's certificates: in the client's state (schema 2), or in the document itself (schema 1, fleets enrolled before). */
function keyedOf(clientDir: string, value: IdentityDocument, store: GroupedFiles) {
  if (value.schemaVersion === 1) return { signing: value.signing, encryption: value.encryption };
  if (value.schemaVersion !== 2) return { signing: undefined, encryption: undefined };
  return {
    signing: namedFiles(clientDir, value.signing, IDENTITY_FILES.signing, store),
    encryption: namedFiles(clientDir, value.encryption, IDENTITY_FILES.encryption, store),
  };
}

/** The identity fixed for the client in `clientDir`, checked; `store` holds its files as read (the install does not write them again). */
export function loadIdentity(clientDir: string, store: GroupedFiles): ClientIdentity {
  const file = identityFile(clientDir);
  let parsed: unknown;
  try {
    parsed = JSON.parse(readBoundedText(file, MAX_IDENTITY_BYTES, IDENTITY_ROLE));
  } catch (error) {
    if (!(error instanceof SyntaxError)) throw error;
  }
  const value: IdentityDocument = typeof parsed === 'object' && parsed !== null ? parsed : {};
  const { signing, encryption } = keyedOf(clientDir, value, store);
  if (typeof value.smsid !== 'string' || !isCanonicalSmsid(value.smsid) || !isKeyed(signing) || !isKeyed(encryption))
    damaged(file);
  return { smsid: value.smsid, signing, encryption };
}
