import * as crypto from 'node:crypto';
import { CcmlabError } from '../core/errors';
import { parseSmsid } from '../protocol/smsid';
import { statement, type SiteDb } from './site-db';

/** Registered clients, as the MP records them: identity, keys, how and when they registered. */

export type ClientState = 'pending' | 'registered' | 'rejected';
/** trusted-domain: a Windows-authenticated machine, approved as sites approve computers in trusted domains. */
export type Approval = 'pending' | 'auto' | 'manual' | 'bulk-token' | 'trusted-domain';
/** How the client's latest registration was authenticated. */
export type RegistrationMethod = 'intranet' | 'bulk-token' | 'client-token' | 'windows-auth';

export interface ClientRecord {
  smsid: string;
  keyId: string;
  netbios: string;
  fqdn: string;
  state: ClientState;
  approval: Approval;
  registeredBy: RegistrationMethod;
  /** The bulk registration token that first admitted the client, if one did. */
  bulkTokenGuid: string | null;
  /** The Windows machine account (DOMAIN\\NAME$) of a Windows-authenticated registration. */
  account: string | null;
  internetFlag: boolean;
  signingThumbprint: string;
  encryptionThumbprint: string;
  signingCertificate: Buffer;
  firstSeen: string;
  registeredAt: string | null;
  lastSeen: string;
}

interface Row {
  smsid: string;
  key_id: string;
  netbios: string;
  fqdn: string;
  state: ClientState;
  approval: Approval;
  registered_by: RegistrationMethod;
  bulk_token_guid: string | null;
  account: string | null;
  internet_flag: number;
  signing_thumbprint: string;
  encryption_thumbprint: string;
  signing_certificate: Buffer;
  first_seen: string;
  registered_at: string | null;
  last_seen: string;
}

function fromRow(row: Row): ClientRecord {
  return {
    smsid: row.smsid,
    keyId: row.key_id,
    netbios: row.netbios,
    fqdn: row.fqdn,
    state: row.state,
    approval: row.approval,
    registeredBy: row.registered_by,
    bulkTokenGuid: row.bulk_token_guid,
    account: row.account,
    internetFlag: row.internet_flag === 1,
    signingThumbprint: row.signing_thumbprint,
    encryptionThumbprint: row.encryption_thumbprint,
    signingCertificate: row.signing_certificate,
    firstSeen: row.first_seen,
    registeredAt: row.registered_at,
    lastSeen: row.last_seen,
  };
}

/** rsaEncryption's AlgorithmIdentifier, NULL parameters included, as an RSA key's SPKI carries it. */
const RSA_ALGORITHM = Buffer.from('300d06092a864886f70d0101010500', 'hex');

/** A DER element: tag, definite length, content. */
function derElement(tag: number, content: Buffer): Buffer {
  const length: number[] = [];
  for (let n = content.length; n > 0; n = Math.floor(n / 256)) length.unshift(n % 256);
  const head = content.length < 0x80 ? [tag, content.length] : [tag, 0x80 | length.length, ...length];
  return Buffer.concat([Buffer.from(head), content]);
}

/**
 * A public key's SPKI DER. OpenSSL takes a quarter of a millisecond to encode one; an RSA
 * key's is its PKCS#1 DER (which it exports thirty times faster) wrapped with the rsaEncryption
 * identifier, the same bytes.
 */
function spkiDer(publicKey: crypto.KeyObject): Buffer {
  if (publicKey.asymmetricKeyType !== 'rsa') return publicKey.export({ type: 'spki', format: 'der' });
  const key = derElement(0x03, Buffer.concat([Buffer.from([0]), publicKey.export({ type: 'pkcs1', format: 'der' })]));
  return derElement(0x30, Buffer.concat([RSA_ALGORITHM, key]));
}

/** What identifies a client's key: SHA-256 of its signing public key (SPKI DER), hex. */
export function keyIdOf(publicKey: crypto.KeyObject): string {
  return crypto.createHash('sha256').update(spkiDer(publicKey)).digest('hex');
}

export function findClientBySmsid(db: SiteDb, smsid: string): ClientRecord | undefined {
  const row = statement(db, 'SELECT * FROM clients WHERE smsid = ?').get(smsid) as Row | undefined;
  return row ? fromRow(row) : undefined;
}

export function findClientByKey(db: SiteDb, keyId: string): ClientRecord | undefined {
  const row = statement(db, 'SELECT * FROM clients WHERE key_id = ?').get(keyId) as Row | undefined;
  return row ? fromRow(row) : undefined;
}

export function saveClient(db: SiteDb, client: ClientRecord): void {
  statement(
    db,
    `INSERT INTO clients (smsid, key_id, netbios, fqdn, state, approval, registered_by, bulk_token_guid, account, internet_flag,
       signing_thumbprint, encryption_thumbprint, signing_certificate, first_seen, registered_at, last_seen)
     VALUES (@smsid, @key_id, @netbios, @fqdn, @state, @approval, @registered_by, @bulk_token_guid, @account, @internet_flag,
       @signing_thumbprint, @encryption_thumbprint, @signing_certificate, @first_seen, @registered_at, @last_seen)
     ON CONFLICT (smsid) DO UPDATE SET key_id = excluded.key_id, netbios = excluded.netbios, fqdn = excluded.fqdn,
       state = excluded.state, approval = excluded.approval, registered_by = excluded.registered_by,
       bulk_token_guid = excluded.bulk_token_guid, account = excluded.account, internet_flag = excluded.internet_flag,
       signing_thumbprint = excluded.signing_thumbprint, encryption_thumbprint = excluded.encryption_thumbprint,
       signing_certificate = excluded.signing_certificate, registered_at = excluded.registered_at, last_seen = excluded.last_seen`,
  ).run({
    smsid: client.smsid,
    key_id: client.keyId,
    netbios: client.netbios,
    fqdn: client.fqdn,
    state: client.state,
    approval: client.approval,
    registered_by: client.registeredBy,
    bulk_token_guid: client.bulkTokenGuid,
    account: client.account,
    internet_flag: client.internetFlag ? 1 : 0,
    signing_thumbprint: client.signingThumbprint,
    encryption_thumbprint: client.encryptionThumbprint,
    signing_certificate: client.signingCertificate,
    first_seen: client.firstSeen,
    registered_at: client.registeredAt,
    last_seen: client.lastSeen,
  });
}

export function touchClient(db: SiteDb, smsid: string, when: Date): void {
  statement(db, 'UPDATE clients SET last_seen = ? WHERE smsid = ?').run(when.toISOString(), smsid);
}

export function listClients(db: SiteDb): ClientRecord[] {
  return (statement(db, 'SELECT * FROM clients ORDER BY first_seen, smsid').all() as Row[]).map(fromRow);
}

/** As `ccmlab site clients list --json` prints a client. */
export function clientJson(client: ClientRecord): Record<string, unknown> {
  return {
    smsid: client.smsid,
    netbios: client.netbios,
    fqdn: client.fqdn,
    state: client.state,
    approval: client.approval,
    registeredBy: client.registeredBy,
    bulkTokenGuid: client.bulkTokenGuid,
    account: client.account,
    signingThumbprint: client.signingThumbprint,
    encryptionThumbprint: client.encryptionThumbprint,
    registeredAt: client.registeredAt,
    lastSeen: client.lastSeen,
  };
}

export function requireSmsid(text: string): string {
  const smsid = parseSmsid(text);
  if (!smsid)
    throw new CcmlabError(
      'CCMLAB_E_BAD_GUID',
      `'${text}' is not an SMSID; write it like GUID:5C1E1B7E-0D7F-4C2B-9B2A-3E4F5A6B7C8D`,
    );
  return smsid;
}

/** `ccmlab site clients approve`: a pending client is approved; its next confirmation registers it. */
export function approveClient(db: SiteDb, smsid: string): { client: ClientRecord; changed: boolean } {
  return db
    .transaction(() => {
      const client = findClientBySmsid(db, smsid);
      if (!client)
        throw new CcmlabError(
          'CCMLAB_E_CLIENT_NOT_FOUND',
          `no client has SMSID ${smsid}; 'ccmlab site clients list' shows them`,
        );
      if (client.approval !== 'pending') return { client, changed: false };
      statement(db, "UPDATE clients SET approval = 'manual' WHERE smsid = ?").run(smsid);
      return { client: findClientBySmsid(db, smsid) as ClientRecord, changed: true };
    })
    .immediate();
}
