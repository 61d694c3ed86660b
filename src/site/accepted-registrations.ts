import * as crypto from 'node:crypto';
import { statement, type SiteDb } from './site-db';

/**
 * Registration requests whose signature and TimeStamp the site accepted, each known by its
 * signing key and the exact bytes it signed, kept until its TimeStamp leaves the window
 * (site/signed-time.ts): the same request arriving again is a resend or a replay, and
 * changes nothing. Kept in the site
 * database, so a restarted site still knows them; what has left the window is forgotten at
 * the next registration (the window refuses it anyway).
 */

/** What identifies a signed request: SHA-256 over the key ID and the signed `<Data>` bytes (not the signature text, whose hex case and spacing may vary). */
export function acceptedDigest(keyId: string, signedBytes: Buffer): string {
  return crypto.createHash('sha256').update(`${keyId}:`).update(signedBytes).digest('hex');
}

export function wasAccepted(db: SiteDb, digest: string): boolean {
  return statement(db, 'SELECT 1 FROM accepted_registrations WHERE digest = ?').get(digest) !== undefined;
}

/** Remembers a request until `until`, and forgets those whose time has passed at `now`. */
export function rememberAccepted(db: SiteDb, digest: string, until: Date, now: Date): void {
  statement(db, 'DELETE FROM accepted_registrations WHERE expires_ms < ?').run(now.getTime());
  statement(
    db,
    'INSERT INTO accepted_registrations (digest, expires_ms) VALUES (?, ?) ON CONFLICT (digest) DO NOTHING',
  ).run(digest, until.getTime());
}
