import * as fs from 'node:fs';
import type Database from 'better-sqlite3';
import { CcmlabError } from '../core/errors';
import { onFirstUse } from '../core/on-first-use';
import { SECRET_FILE_MODE } from '../store/atomic-file';
import { openForWrite, refuseIfNotRegular } from '../store/file-writes';
import type { FileRole } from '../store/files';

/**
 * The site database: SQLite in WAL mode, so the running site, the token tool and the
 * console commands can use it at once. `PRAGMA user_version` is the schema version;
 * each migration moves it up by one inside a write transaction.
 */

export type SiteDb = Database.Database;

// eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded when a database is opened: a usage or a refusal does without it
const sqlite = onFirstUse(() => require('better-sqlite3') as typeof Database);

const MIGRATIONS: ReadonlyArray<(db: SiteDb) => void> = [
  (db) =>
    db.exec(`
      CREATE TABLE bulk_tokens (
        guid TEXT PRIMARY KEY,
        not_before TEXT NOT NULL,
        expires TEXT NOT NULL,
        lifetime_minutes INTEGER NOT NULL,
        created_at TEXT NOT NULL,
        created_by TEXT NOT NULL,
        blocked_at TEXT,
        blocked_by TEXT
      ) STRICT;
    `),
  (db) =>
    db.exec(`
      CREATE TABLE clients (
        smsid TEXT PRIMARY KEY,
        key_id TEXT NOT NULL UNIQUE,
        netbios TEXT NOT NULL,
        fqdn TEXT NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('pending', 'registered', 'rejected')),
        approval TEXT NOT NULL CHECK (approval IN ('pending', 'auto', 'manual', 'bulk-token')),
        registered_by TEXT NOT NULL CHECK (registered_by IN ('intranet', 'bulk-token')),
        bulk_token_guid TEXT,
        internet_flag INTEGER NOT NULL,
        signing_thumbprint TEXT NOT NULL,
        encryption_thumbprint TEXT NOT NULL,
        signing_certificate BLOB NOT NULL,
        first_seen TEXT NOT NULL,
        registered_at TEXT,
        last_seen TEXT NOT NULL
      ) STRICT;
      CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT;
    `),
  // How a client registered, truthfully: by a client token re-registering its own client, or by a
  // Windows-authenticated machine account (SQLite cannot alter a CHECK: the table is rebuilt).
  (db) =>
    db.exec(`
      CREATE TABLE clients_v3 (
        smsid TEXT PRIMARY KEY,
        key_id TEXT NOT NULL UNIQUE,
        netbios TEXT NOT NULL,
        fqdn TEXT NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('pending', 'registered', 'rejected')),
        approval TEXT NOT NULL CHECK (approval IN ('pending', 'auto', 'manual', 'bulk-token', 'trusted-domain')),
        registered_by TEXT NOT NULL CHECK (registered_by IN ('intranet', 'bulk-token', 'client-token', 'windows-auth')),
        bulk_token_guid TEXT,
        account TEXT,
        internet_flag INTEGER NOT NULL,
        signing_thumbprint TEXT NOT NULL,
        encryption_thumbprint TEXT NOT NULL,
        signing_certificate BLOB NOT NULL,
        first_seen TEXT NOT NULL,
        registered_at TEXT,
        last_seen TEXT NOT NULL
      ) STRICT;
      INSERT INTO clients_v3 (smsid, key_id, netbios, fqdn, state, approval, registered_by, bulk_token_guid, internet_flag,
          signing_thumbprint, encryption_thumbprint, signing_certificate, first_seen, registered_at, last_seen)
        SELECT smsid, key_id, netbios, fqdn, state, approval, registered_by, bulk_token_guid, internet_flag,
          signing_thumbprint, encryption_thumbprint, signing_certificate, first_seen, registered_at, last_seen FROM clients;
      DROP TABLE clients;
      ALTER TABLE clients_v3 RENAME TO clients;
    `),
  (db) =>
    db.exec(`
      CREATE TABLE revoked_certificates (
        serial TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        thumbprint TEXT NOT NULL,
        revoked_at TEXT NOT NULL
      ) STRICT;
    `),
  // Registration requests already accepted, kept while their TimeStamp is within the window.
  (db) =>
    db.exec(`
      CREATE TABLE accepted_registrations (
        digest TEXT PRIMARY KEY,
        expires_ms INTEGER NOT NULL
      ) STRICT;
      CREATE INDEX accepted_registrations_expiry ON accepted_registrations (expires_ms);
    `),
];

export const SCHEMA_VERSION = MIGRATIONS.length;

const statements = new WeakMap<SiteDb, Map<string, Database.Statement>>();

/** A statement prepared once per connection: preparing costs more than most queries here take to run. */
export function statement(db: SiteDb, sql: string): Database.Statement {
  let prepared = statements.get(db);
  if (!prepared) {
    prepared = new Map();
    statements.set(db, prepared);
  }
  let found = prepared.get(sql);
  if (!found) {
    found = db.prepare(sql);
    prepared.set(sql, found);
  }
  return found;
}

/** Changes whenever another connection (a console command, the token tool) commits (`PRAGMA data_version`). */
export function othersCommitted(db: SiteDb): number {
  return (statement(db, 'PRAGMA data_version').get() as { data_version: number }).data_version;
}

const DB_ROLE: FileRole = {
  label: 'the site database',
  code: 'CCMLAB_E_SITE_CORRUPT',
  fix: "remove it, or re-create the site with 'ccmlab site init --force'",
};

/**
 * SQLite opens the database and its companions itself, following links and blocking on a
 * pipe: each is refused here unless it is missing or a regular file.
 */
function refuseOddDbFiles(file: string): void {
  for (const suffix of ['', '-wal', '-shm', '-journal']) refuseIfNotRegular(`${file}${suffix}`, DB_ROLE);
}

export function openSiteDb(file: string, options: { create?: boolean } = {}): SiteDb {
  if (file !== ':memory:') refuseOddDbFiles(file);
  // SQLite gives its -wal and -shm files the database file's mode: create it 0600 first.
  if (options.create === true && file !== ':memory:')
    fs.closeSync(openForWrite(file, 'create', SECRET_FILE_MODE, DB_ROLE));
  const Sqlite = sqlite();
  let db: SiteDb;
  try {
    db = new Sqlite(file, { fileMustExist: options.create !== true, timeout: 15_000 });
  } catch (error) {
    throw new CcmlabError(
      'CCMLAB_E_SITE_CORRUPT',
      `the site database ${file} cannot be opened (${(error as Error).message}); re-create the site with 'ccmlab site init --force'`,
    );
  }
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    migrate(db, file);
  } catch (error) {
    db.close();
    if (error instanceof CcmlabError) throw error;
    throw new CcmlabError(
      'CCMLAB_E_SITE_CORRUPT',
      `the site database ${file} cannot be used (${(error as Error).message}); re-create the site with 'ccmlab site init --force'`,
      { cause: error },
    );
  }
  return db;
}

function migrate(db: SiteDb, file: string): void {
  const current = (): number => db.pragma('user_version', { simple: true }) as number;
  if (current() === SCHEMA_VERSION) return;
  db.transaction(() => {
    const from = current();
    if (from > SCHEMA_VERSION) {
      throw new CcmlabError(
        'CCMLAB_E_SITE_CORRUPT',
        `the site database ${file} has schema ${from}, newer than this ccmlab knows (${SCHEMA_VERSION}); use a newer ccmlab`,
      );
    }
    for (let v = from; v < SCHEMA_VERSION; v++) MIGRATIONS[v](db);
    db.pragma(`user_version = ${SCHEMA_VERSION}`);
  }).immediate();
}
