import * as os from 'node:os';
import { CcmlabError } from '../core/errors';
import { newGuid, normaliseGuid } from '../core/guid';
import type { Site } from './site-dir';
import { statement } from './site-db';
import { issueBulkToken, type IssuedBulkToken } from './token-service';

/**
 * Bulk registration tokens as the site keeps them: GUID, validity and who made them,
 * never the token itself (the article: it is stored neither on the client nor in the
 * site database).
 */

export { DEFAULT_LIFETIME_MINUTES } from './token-lifetimes';

export type TokenStatus = 'Active' | 'Blocked' | 'Expired';

export interface BulkTokenRecord {
  guid: string;
  type: 'Bulk Registration Token';
  validFrom: string;
  validTo: string;
  status: TokenStatus;
  blockedAt: string | null;
  lifetimeMinutes: number;
  createdAt: string;
  createdBy: string;
}

interface Row {
  guid: string;
  not_before: string;
  expires: string;
  lifetime_minutes: number;
  created_at: string;
  created_by: string;
  blocked_at: string | null;
}

export function whoAmI(): string {
  let user = 'unknown';
  try {
    user = os.userInfo().username;
  } catch {
    // No passwd entry (some containers): the host name still says where it came from.
  }
  return `${user}@${os.hostname()}`;
}

function toRecord(row: Row, now: Date): BulkTokenRecord {
  const status: TokenStatus = row.blocked_at
    ? 'Blocked'
    : Date.parse(row.expires) < now.getTime()
      ? 'Expired'
      : 'Active';
  return {
    guid: row.guid,
    type: 'Bulk Registration Token',
    validFrom: row.not_before,
    validTo: row.expires,
    status,
    blockedAt: row.blocked_at,
    lifetimeMinutes: row.lifetime_minutes,
    createdAt: row.created_at,
    createdBy: row.created_by,
  };
}

export interface CreatedBulkToken {
  record: BulkTokenRecord;
  token: string;
}

/** Signs a new token and records its GUID and validity; the token is returned, not kept. */
export function createBulkToken(site: Site, lifetimeMinutes: number, now: Date): CreatedBulkToken {
  const guid = newGuid();
  const token = issueBulkToken(site.tokenSigner(), {
    hierarchyId: site.config.hierarchyId,
    guid,
    notBefore: now,
    lifetimeMinutes,
  });
  const notBefore = new Date(Math.floor(now.getTime() / 1000) * 1000);
  const row: Row = {
    guid,
    not_before: notBefore.toISOString(),
    expires: new Date(notBefore.getTime() + lifetimeMinutes * 60_000).toISOString(),
    lifetime_minutes: lifetimeMinutes,
    created_at: now.toISOString(),
    created_by: whoAmI(),
    blocked_at: null,
  };
  statement(
    site.db,
    `INSERT INTO bulk_tokens (guid, not_before, expires, lifetime_minutes, created_at, created_by)
       VALUES (@guid, @not_before, @expires, @lifetime_minutes, @created_at, @created_by)`,
  ).run(row);
  return { record: toRecord(row, now), token };
}

export function listBulkTokens(site: Site, now: Date): BulkTokenRecord[] {
  const rows = statement(site.db, 'SELECT * FROM bulk_tokens ORDER BY created_at, guid').all() as Row[];
  return rows.map((row) => toRecord(row, now));
}

export function findBulkToken(site: Site, guid: string, now: Date): BulkTokenRecord | undefined {
  const row = statement(site.db, 'SELECT * FROM bulk_tokens WHERE guid = ?').get(guid) as Row | undefined;
  return row ? toRecord(row, now) : undefined;
}

/** What the token service checks a presented bulk token against; undefined if the site never issued the GUID. */
export function issuedBulkToken(site: Site, guid: string): IssuedBulkToken | undefined {
  const normalised = normaliseGuid(guid);
  const row = normalised
    ? (statement(site.db, 'SELECT not_before, expires, blocked_at FROM bulk_tokens WHERE guid = ?').get(normalised) as
        Pick<Row, 'not_before' | 'expires' | 'blocked_at'> | undefined)
    : undefined;
  if (!row) return undefined;
  return {
    nbf: Date.parse(row.not_before) / 1000,
    exp: Date.parse(row.expires) / 1000,
    blocked: row.blocked_at !== null,
  };
}

export interface BlockChange {
  record: BulkTokenRecord;
  /** False when the token already was in the asked state: nothing was written. */
  changed: boolean;
}

/** Blocks or unblocks a token; unknown GUIDs are an error and change nothing. */
export function setBulkTokenBlocked(site: Site, guid: string, blocked: boolean, now: Date): BlockChange {
  return site.db
    .transaction((): BlockChange => {
      const before = findBulkToken(site, guid, now);
      if (!before) {
        throw new CcmlabError(
          'CCMLAB_E_TOKEN_NOT_FOUND',
          `no bulk registration token has GUID ${guid}; 'ccmlab site tokens list' shows the GUIDs`,
        );
      }
      if ((before.blockedAt !== null) === blocked) return { record: before, changed: false };
      statement(site.db, 'UPDATE bulk_tokens SET blocked_at = ?, blocked_by = ? WHERE guid = ?').run(
        blocked ? now.toISOString() : null,
        blocked ? whoAmI() : null,
        guid,
      );
      return { record: findBulkToken(site, guid, now) as BulkTokenRecord, changed: true };
    })
    .immediate();
}
