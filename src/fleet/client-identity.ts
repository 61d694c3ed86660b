import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createCertificates, type ClientKeys } from '../client/identity';
import type { ClientIdentity } from '../client/install';
import type { Clock } from '../core/clock';
import { CcmlabError } from '../core/errors';
import { privateKeyOf } from '../pki/certificates';
import { isCanonicalSmsid, newSmsid } from '../protocol/smsid';
import { PRIVATE_DIR_MODE, SECRET_FILE_MODE, writeFileAtomicAsync, type Syncer } from '../store/atomic-file';
import { readBoundedText } from '../store/files';

/**
 * A fleet client's identity, fixed before its first request: `<client dir>/fleet-identity.json`
 * (0600) holds its SMSID and its two certificates with their keys. Every attempt to enroll
 * the client installs this identity, so a retry after a crash or a failure re-registers the
 * same SMSID with the same key, which the site accepts, and a client is never registered
 * twice under two identities. It is written once, durably (fsync of the file and its
 * directory), and never changed.
 */

const IDENTITY_FILE = 'fleet-identity.json';
const MAX_IDENTITY_BYTES = 64 * 1024;

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

export async function saveIdentity(clientDir: string, identity: ClientIdentity, sync: Syncer): Promise<void> {
  const { smsid, signing, encryption } = identity;
  const document = { schemaVersion: 1, smsid, signing, encryption };
  await writeFileAtomicAsync(
    identityFile(clientDir),
    `${JSON.stringify(document)}\n`,
    SECRET_FILE_MODE,
    PRIVATE_DIR_MODE,
    sync,
  );
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

/** The identity fixed for the client in `clientDir`, checked. */
export function loadIdentity(clientDir: string): ClientIdentity {
  const file = identityFile(clientDir);
  const text = readBoundedText(file, MAX_IDENTITY_BYTES, {
    label: 'fleet client identity',
    code: 'CCMLAB_E_FLEET_DIR',
    fix: 'remove that client dir to enroll it afresh',
  });
  let value: Partial<ClientIdentity> & { schemaVersion?: unknown };
  try {
    value = JSON.parse(text) as typeof value;
  } catch {
    value = {};
  }
  if (
    value.schemaVersion !== 1 ||
    typeof value.smsid !== 'string' ||
    !isCanonicalSmsid(value.smsid) ||
    !isKeyed(value.signing) ||
    !isKeyed(value.encryption)
  ) {
    throw new CcmlabError(
      'CCMLAB_E_FLEET_DIR',
      `fleet client identity ${file} is damaged; remove that client dir to enroll it afresh (if the site registered it, as a new device)`,
    );
  }
  return { smsid: value.smsid, signing: value.signing, encryption: value.encryption };
}
