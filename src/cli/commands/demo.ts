import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Argv, CommandModule } from 'yargs';
import { labAt } from '../../world/lab';
import { commandClock } from '../../world/lab-clock';
import { CcmlabError } from '../../core/errors';
import { decodeText } from '../../core/text';
import { parseCmTrace } from '../../log/cmtrace-parse';
import type { CommandContext } from '../context';
import { ARTICLE_CMG, ARTICLE_ROLE_ID, articleCommandLine, runArticleSetup, startEmbeddedLab } from '../../orchestration/embedded-lab';
import { withExamples } from '../help-examples';
import { printResult } from '../output';

/**
 * The main job: a fresh lab on loopback, the site in-process, a bulk token, and ccmsetup
 * run with the source article's own command line, reaching CONTOSO.CLOUDAPP.NET through
 * the lab's names and trusting the site's root as every machine in the lab does.
 */

interface DemoArgs {
  'lab-dir': string;
  now?: string;
  json?: boolean;
}

/** How to watch the agent renew the demo client's token: the lab's clock past day 30, its site up again, the agent run. */
function renewalSteps(lab: string): string[] {
  return [
    'See the renewal:',
    `  npx ccmlab clock set +31d --lab ${lab}`,
    `  npx ccmlab site start --detach --lab ${lab}`,
    `  npx ccmlab client start --netbios CLIENT01 --lab ${lab}`,
    `  npx ccmlab site stop --lab ${lab}`,
  ];
}

export function demoCommand(context: CommandContext): CommandModule<object, DemoArgs> {
  return {
    command: 'demo',
    describe: "end-to-end demo: a site and CMG on loopback, a bulk token, ccmsetup with the article's command line",
    builder: (y: Argv) => withExamples(y, 'demo').option('lab-dir', { type: 'string', default: path.join('lab', 'demo'), requiresArg: true, describe: 'where the demo lab goes (made afresh)' }) as unknown as Argv<DemoArgs>,
    handler: (args) =>
      context.run(async () => {
        const clock = commandClock(args.now, labAt(path.resolve(args['lab-dir'])));
        const say = (text: string) => process.stderr.write(`${text}\n`);
        say(`1. Creating site ABC (CMG ${ARTICLE_CMG}, MP role ID ${ARTICLE_ROLE_ID}) and starting it on loopback`);
        const lab = await startEmbeddedLab(path.resolve(args['lab-dir']), clock, 4320);
        try {
          say(`2. Site running in ${lab.siteDir}: MP ${lab.site.ready.mp}, CMG ${lab.site.ready.cmg}`);
          say(`3. BulkRegistrationTokenTool /new: tracking GUID ${lab.tokenGuid}, valid until ${lab.tokenValidTo}`);
          const line = articleCommandLine('<token>').join(' ');
          say(`4. ccmsetup.exe ${line.replace('<token>', '<redacted>')}\n   (the lab resolves ${ARTICLE_CMG} to 127.0.0.1:${new URL(lab.site.ready.cmg).port} and trusts the site's root)`);
          const { result, clientDir, logDir } = await runArticleSetup(lab, 'CLIENT01', clock);
          const locationLog = path.join(logDir, 'ClientLocation.log');
          const rotation = parseCmTrace(decodeText(fs.readFileSync(locationLog))).entries.find((e) => e.message.startsWith('Rotating internet management point'));
          const config = result.state?.config;
          if (!rotation || !config?.token) throw new CcmlabError('CCMLAB_E_INTERNAL', `the demo client did not enroll; see ${logDir}`);
          const summary = { clientLocationLine: rotation.message, smsid: config.smsid, tokenExpiresAt: config.token.expiresAt, renewalDue: config.token.renewalDue, clientDir, clientLogs: logDir, siteLogs: lab.siteLogs };
          printResult(args.json, summary, () =>
            [
              '',
              'ClientLocation.log:',
              `  ${rotation.message}`,
              '',
              `SMSID:          ${summary.smsid}`,
              `CCM token:      valid until ${summary.tokenExpiresAt} (90 days)`,
              `Next renewal:   ${summary.renewalDue} (30 days; the agent renews it)`,
              `Client state:   ${summary.clientDir}`,
              `Client logs:    ${summary.clientLogs}`,
              `Site logs:      ${summary.siteLogs}`,
              `Read a log:     npx ccmlab log show ${path.relative(process.cwd(), locationLog)}`,
              '',
              ...renewalSteps(path.relative(process.cwd(), path.resolve(args['lab-dir'])) || '.'),
              '',
            ].join('\n'),
          );
        } finally {
          await lab.site.stop();
        }
        return 0;
      }),
  };
}
