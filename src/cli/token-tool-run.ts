import type { Clock } from '../core/clock';
import { countOf } from '../core/text';
import type { CmLog } from '../log/logger';
import type { BulkTokenRecord } from '../site/bulk-tokens';
import { openSite } from '../site/site-dir';
import { issueToolToken } from '../site/token-tool';

/**
 * `BulkRegistrationTokenTool /new`: a token from the site, printed. Loaded by the tool's main
 * only then, since it opens the site (its database and certificates): usage and version
 * answer without it.
 */

/** `MM/dd/yyyy HH:mm:ss` local: no '.', since wrapper scripts cut the expiry at the next '.'. */
function localDateTime(time: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${p(time.getMonth() + 1)}/${p(time.getDate())}/${time.getFullYear()} ${p(time.getHours())}:${p(time.getMinutes())}:${p(time.getSeconds())}`;
}

/** The lines wrapper scripts parse (GUID first, the token alone on line 5), or one JSON document. */
function tokenOutput(record: BulkTokenRecord, token: string, json: boolean): string {
  if (json) {
    const { guid, validFrom, validTo, lifetimeMinutes } = record;
    return `${JSON.stringify({ guid, validFrom, validTo, lifetimeMinutes, token }, null, 2)}\n`;
  }
  return [
    `Token ID (tracking GUID): ${record.guid}`,
    `Token is valid until ${localDateTime(new Date(record.validTo))}.`,
    `Lifetime: ${countOf(record.lifetimeMinutes, 'minute')}, from ${localDateTime(new Date(record.validFrom))} (UTC ${record.validFrom} to ${record.validTo})`,
    'Token (copy it now: it is stored neither on the site nor on the client):',
    token,
    '',
  ].join('\n');
}

/** Issues a token of `lifetimeMinutes` from the site in `siteDir`, logged to `log`, and prints it. */
export function issueAndPrint(
  request: { siteDir: string; lifetimeMinutes: number; json: boolean },
  clock: Clock,
  log: CmLog,
): void {
  const site = openSite(request.siteDir);
  try {
    const { record, token } = issueToolToken(site, request.lifetimeMinutes, clock.now(), log);
    process.stdout.write(tokenOutput(record, token, request.json));
  } finally {
    site.close();
  }
}
