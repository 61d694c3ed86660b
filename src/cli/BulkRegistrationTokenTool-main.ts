import { systemClock, type Clock } from '../core/clock';
import { CcmlabError, toCcmlabError } from '../core/errors';
import { printable } from '../core/text';
import type { CmLog } from '../log/logger';
import { createBulkToken } from '../site/bulk-tokens';
import { openSite } from '../site/site-dir';
import { openSiteLog } from '../site/site-logs';
import { labAt } from '../world/lab';
import { commandClock } from '../world/lab-clock';
import { runMain } from './exit';
import { peekOption } from './peek-option';
import { parseTokenToolArgs, tokenToolUsage } from './token-tool-args';

/** `MM/dd/yyyy HH:mm:ss` local: no '.', since wrapper scripts cut the expiry at the next '.'. */
function localDateTime(time: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${p(time.getMonth() + 1)}/${p(time.getDate())}/${time.getFullYear()} ${p(time.getHours())}:${p(time.getMinutes())}:${p(time.getSeconds())}`;
}

async function main(argv: string[]): Promise<number> {
  let logDir = peekOption(argv, 'log-dir') ?? labAt(peekOption(argv, 'lab')).siteLogDir;
  let clock: Clock = systemClock;
  let opened: CmLog | undefined;
  const log = (): CmLog => (opened ??= openSiteLog(logDir, 'BulkRegistrationTokenTool', clock, 'BulkRegistrationTokenTool.cs'));
  try {
    const args = parseTokenToolArgs(argv);
    logDir = args.logDir;
    clock = commandClock(args.now, labAt(args.lab));
    if (args.action === 'usage') {
      process.stdout.write(tokenToolUsage());
      return 0;
    }
    // A log that cannot be written refuses the run before a token exists.
    log();
    const site = openSite(args.siteDir);
    try {
      if (site.config.passive) {
        throw new CcmlabError(
          'BRTT_E_PASSIVE_SITE',
          `site ${site.config.siteCode} has its site server in passive mode, and a bulk registration token cannot be created there (a known issue); run the tool on the active site server`,
        );
      }
      const now = clock.now();
      const { record, token } = createBulkToken(site, args.lifetimeMinutes, now);
      const validTo = new Date(record.validTo);
      process.stdout.write(
        [
          `Token ID (tracking GUID): ${record.guid}`,
          `Token is valid until ${localDateTime(validTo)}.`,
          `Lifetime: ${record.lifetimeMinutes} minutes, from ${localDateTime(new Date(record.validFrom))} (UTC ${record.validFrom} to ${record.validTo})`,
          'Token (copy it now: it is stored neither on the site nor on the client):',
          token,
          '',
        ].join('\n'),
      );
      log().info(
        `Created bulk registration token ${record.guid} for site ${site.config.siteCode}, valid from ${record.validFrom} to ${record.validTo} (${record.lifetimeMinutes} minutes), by ${record.createdBy}.`,
      );
    } finally {
      site.close();
    }
    return 0;
  } catch (error) {
    const failure = toCcmlabError(error);
    log().error(`BulkRegistrationTokenTool ${printable(argv.join(' '), 1024)} failed: ${failure.message}`);
    throw failure;
  }
}

void runMain({ name: 'BulkRegistrationTokenTool' }, () => main(process.argv.slice(2)));
