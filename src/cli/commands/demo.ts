import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Argv, CommandModule } from 'yargs';
import { install } from '../../client/install';
import { parseSetupCommand } from '../../client/setup-command';
import { SetupLog } from '../../client/setup-log';
import { processClock } from '../../core/clock';
import { parseConnectTo } from '../../core/connect-to';
import { CcmlabError } from '../../core/errors';
import { decodeText } from '../../core/text';
import { parseCmTrace } from '../../log/cmtrace-parse';
import { createBulkToken } from '../../site/bulk-tokens';
import { initSite } from '../../site/site-dir';
import { startSite } from '../../site/site-server';
import type { CommandContext } from '../context';
import { withSite } from '../site-options';

/**
 * The main job: a fresh lab on loopback, the site in-process, a bulk token, and ccmsetup
 * run with the source article's own command line, reaching CONTOSO.CLOUDAPP.NET through
 * --connect-to.
 */

const CMG_NAME = 'CONTOSO.CLOUDAPP.NET';
const ROLE_ID = '72186325152220500';
const MARKER = '.ccmlab-demo';

interface DemoArgs {
  'lab-dir': string;
  now?: string;
  json?: boolean;
}

function freshLab(dir: string): void {
  if (fs.existsSync(dir)) {
    if (!fs.existsSync(path.join(dir, MARKER)) && fs.readdirSync(dir).length > 0) {
      throw new CcmlabError('CCMLAB_E_SITE_EXISTS', `${dir} exists and is not a ccmlab demo lab; choose another --lab-dir`);
    }
    fs.rmSync(dir, { recursive: true, force: true });
  }
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, MARKER), 'made by ccmlab demo; removed and made again by the next one\n');
}

export function demoCommand(context: CommandContext): CommandModule<object, DemoArgs> {
  return {
    command: 'demo',
    describe: "end-to-end demo: a site and CMG on loopback, a bulk token, ccmsetup with the article's command line",
    builder: (y: Argv) => y.option('lab-dir', { type: 'string', default: path.join('lab', 'demo'), requiresArg: true, describe: 'where the demo lab goes (made afresh)' }) as unknown as Argv<DemoArgs>,
    handler: (args) =>
      context.run(async () => {
        const clock = processClock(args.now);
        const lab = path.resolve(args['lab-dir']);
        const say = (text: string) => process.stderr.write(`${text}\n`);
        freshLab(lab);
        const siteDir = path.join(lab, 'site');
        say(`1. Creating site ABC in ${siteDir} (CMG ${CMG_NAME}, MP role ID ${ROLE_ID})`);
        await initSite({ dir: siteDir, siteCode: 'ABC', mpName: 'mp01.contoso.com', cmgName: CMG_NAME, roleId: ROLE_ID, passive: false, force: false, clock });
        const siteLogs = path.join(lab, 'logs', 'site');
        const site = await startSite({ siteDir, host: '127.0.0.1', mpPort: 0, mpHttpsPort: 0, cmgPort: 0, logDir: siteLogs, clock });
        try {
          say(`2. Site running: MP ${site.ready.mp}, CMG ${site.ready.cmg}`);
          const { token, record } = withSite({ 'site-dir': siteDir, 'log-dir': siteLogs }, (opened) => createBulkToken(opened, 4320, clock.now()));
          say(`3. BulkRegistrationTokenTool /new: token ${record.guid}, valid until ${record.validTo}`);
          const argv = [`/mp:https://${CMG_NAME}/CCM_Proxy_MutualAuth/${ROLE_ID}`, `CCMHOSTNAME=${CMG_NAME}/CCM_Proxy_MutualAuth/${ROLE_ID}`, 'SMSSiteCode=ABC', `/regtoken:${token}`];
          const { command, regToken } = parseSetupCommand(argv);
          const port = new URL(site.ready.cmg).port;
          const logDir = path.join(lab, 'logs', 'clients', 'CLIENT01');
          say(`4. ccmsetup.exe ${command.commandLine}\n   with --connect-to ${CMG_NAME}:443:127.0.0.1:${port} --ca-file ${path.join(siteDir, 'pki', 'sms-issuing.pem')}`);
          const setupLog = new SetupLog(logDir, clock);
          setupLog.started(command.commandLine);
          setupLog.commandAccepted(command);
          const result = await install({
            command,
            regToken,
            clientDir: path.join(lab, 'clients', 'CLIENT01'),
            logDir,
            netbios: 'CLIENT01',
            connectTo: [parseConnectTo(`${CMG_NAME}:443:127.0.0.1:${port}`)],
            caFile: path.join(siteDir, 'pki', 'sms-issuing.pem'),
            clock,
            setupLog,
          });
          setupLog.exiting(0);
          await setupLog.log.close();
          const locationLog = path.join(logDir, 'ClientLocation.log');
          const line = parseCmTrace(decodeText(fs.readFileSync(locationLog))).entries.find((e) => e.message.startsWith('Rotating internet management point'));
          const config = result.state?.config;
          if (!line || !config?.token) throw new CcmlabError('CCMLAB_E_INTERNAL', `the demo client did not enroll; see ${logDir}`);
          const summary = {
            clientLocationLine: line.message,
            smsid: config.smsid,
            tokenExpiresAt: config.token.expiresAt,
            renewalDue: config.token.renewalDue,
            clientDir: path.join(lab, 'clients', 'CLIENT01'),
            clientLogs: logDir,
            siteLogs,
          };
          if (args.json) {
            process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
          } else {
            process.stdout.write(
              [
                '',
                'ClientLocation.log:',
                `  ${line.message}`,
                '',
                `SMSID:          ${summary.smsid}`,
                `CCM token:      valid until ${summary.tokenExpiresAt} (90 days)`,
                `Next renewal:   ${summary.renewalDue} (30 days; 'ccmlab client start' renews it)`,
                `Client state:   ${summary.clientDir}`,
                `Client logs:    ${summary.clientLogs}`,
                `Site logs:      ${summary.siteLogs}`,
                `Read a log:     npx ccmlab log show ${path.relative(process.cwd(), locationLog)}`,
                '',
              ].join('\n'),
            );
          }
        } finally {
          await site.stop();
        }
        return 0;
      }),
  };
}
