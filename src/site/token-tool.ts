import { CcmlabError } from '../core/errors';
import { countOf } from '../core/text';
import type { CmLog } from '../log/logger';
import { messageTime } from '../protocol/jwt';
import { createBulkToken, type CreatedBulkToken } from './bulk-tokens';
import type { Site } from './site-dir';

/**
 * BulkRegistrationTokenTool /new on the site server: refused on a passive site (the
 * article's known issue), otherwise a new token whose GUID and validity the site records
 * and BulkRegistrationTokenTool.log names. The token tool and the fleet issue tokens so.
 */
export function issueToolToken(site: Site, lifetimeMinutes: number, now: Date, log: CmLog): CreatedBulkToken {
  if (site.config.passive) {
    const what = `site ${site.config.siteCode} has its site server in passive mode, and a bulk registration token cannot be created there (a known issue)`;
    throw new CcmlabError('BRTT_E_PASSIVE_SITE', `${what}; run the tool on the active site server`, { logText: what });
  }
  const created = createBulkToken(site, lifetimeMinutes, now);
  const { record } = created;
  // Times as the product's messages print them; who made it (a host account) is the site's record, not the log's.
  log.info(
    `Created bulk registration token ${record.guid} for site ${site.config.siteCode}, valid from ${messageTime(record.validFrom)} to ${messageTime(record.validTo)} (${countOf(record.lifetimeMinutes, 'minute')}).`,
  );
  return created;
}
