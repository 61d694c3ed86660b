import { systemClock, type Clock } from '../core/clock';
import { toCcmlabError } from '../core/errors';
import { countOf, printable } from '../core/text';
import type { CmLog } from '../log/logger';
import { issueToolToken } from '../site/token-tool';
import type { BulkTokenRecord } from '../site/bulk-tokens';
import { openSite } from '../site/site-dir';
import { openSiteLog } from '../site/site-logs';
import { labAt } from '../world/lab';
import { commandClock } from '../world/lab-clock';
import type { ProgramInfo } from './exit';
import { peekOption } from './peek-option';
import { parseTokenToolArgs, tokenToolUsage } from './token-tool-args';
import { versionLine } from './version';

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

export async function main(argv: readonly string[]): Promise<number> {
  let logDir = peekOption(argv, 'log-dir') ?? labAt(peekOption(argv, 'lab')).siteLogDir;
  let clock: Clock = systemClock;
  let opened: CmLog | undefined;
  const log = (): CmLog =>
    (opened ??= openSiteLog(logDir, 'BulkRegistrationTokenTool', clock, 'BulkRegistrationTokenTool.cs'));
  try {
    const args = parseTokenToolArgs(argv);
    logDir = args.logDir;
    clock = commandClock(args.now, args.inLab ? labAt(args.lab) : undefined);
    if (args.action !== 'new') {
      process.stdout.write(
        args.action === 'usage' ? tokenToolUsage() : `${versionLine('BulkRegistrationTokenTool')}\n`,
      );
      return 0;
    }
    // A log that cannot be written refuses the run before a token exists.
    log();
    const site = openSite(args.siteDir);
    try {
      const { record, token } = issueToolToken(site, args.lifetimeMinutes, clock.now(), log());
      process.stdout.write(tokenOutput(record, token, args.json));
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

export const program: ProgramInfo = { name: 'BulkRegistrationTokenTool' };
