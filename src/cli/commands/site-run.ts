import * as path from 'node:path';
import type { Argv, CommandModule } from 'yargs';
import { CcmlabError } from '../../core/errors';
import { approveSiteClient, changeSetting, siteClients, siteSetting, siteSettings } from '../../site/administration';
import { clientJson, requireSmsid } from '../../site/clients';
import { stopRunningSite } from '../../site/site-instance';
import type { ReadyInfo } from '../../site/site-server';
import { startDetachedSite } from '../../orchestration/detached-site';
import { serveSite, type SiteRunOptions } from '../../orchestration/run-site';
import { clockCommand } from './lab-world';
import { DEFAULT_SETTINGS } from '../../site/settings';
import type { CommandContext } from '../context';
import { withExamples } from '../help-examples';
import { formatTable, printResult } from '../output';
import { clockOf, siteLabOf, withSiteOptions, type SiteArgs } from '../site-options';
import { escapeControl } from '../../core/text';

/** The running site and what changes it while it runs: settings, clock, client approval. */

const CLIENT_COLUMNS = [
  ['smsid', 'SMSID'],
  ['netbios', 'NetBIOS name'],
  ['state', 'State'],
  ['approval', 'Approval'],
  ['registeredBy', 'Registered by'],
  ['account', 'Account'],
  ['bulkTokenGuid', 'Bulk token GUID'],
] as const;

function port(value: unknown, option: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!/^\d{1,5}$/.test(String(value)) || n > 65535) throw new CcmlabError('CCMLAB_E_BAD_OPTION', `--${option} '${String(value)}' is not a port from 0 to 65535 (0 = any free port, not recorded)`);
  return n;
}

interface StartArgs extends SiteArgs {
  host: string;
  'mp-port'?: string;
  'mp-https-port'?: string;
  'cmg-port'?: string;
  'ready-file'?: string;
  detach?: boolean;
}

function startCommand(context: CommandContext): CommandModule<object, StartArgs> {
  return {
    command: 'start',
    describe: 'run the MP (HTTP and HTTPS) and the CMG (HTTPS) on the ports recorded at init, until SIGINT, SIGTERM or site stop',
    builder: (y: Argv) =>
      withExamples(withSiteOptions(y), 'site start')
        .option('host', { type: 'string', default: '127.0.0.1', requiresArg: true, describe: 'the address every listener binds (loopback by default)' })
        .option('mp-port', { type: 'string', requiresArg: true, describe: 'MP over HTTP (default: the recorded port; 0 = any free port)' })
        .option('mp-https-port', { type: 'string', requiresArg: true, describe: 'MP over HTTPS' })
        .option('cmg-port', { type: 'string', requiresArg: true, describe: 'CMG over HTTPS' })
        .option('ready-file', { type: 'string', requiresArg: true, describe: 'also write the URLs here (always in <site dir>/ready.json)' })
        .option('detach', { type: 'boolean', describe: "run in the background: return once it listens; stop it with 'ccmlab site stop'" }) as unknown as Argv<StartArgs>,
    handler: (args) =>
      context.run(async () => {
        // Options first: a usage error is exit 2 whatever the site.
        const options: SiteRunOptions = {
          siteDir: args['site-dir'],
          logDir: args['log-dir'],
          host: args.host,
          mpPort: port(args['mp-port'], 'mp-port'),
          mpHttpsPort: port(args['mp-https-port'], 'mp-https-port'),
          cmgPort: port(args['cmg-port'], 'cmg-port'),
          lab: siteLabOf(args),
          clock: () => clockOf(args, (message) => process.stderr.write(`ccmlab: ${escapeControl(message)}\n`)),
          readyFile: args['ready-file'],
        };
        if (args.detach) {
          const { ready, consoleFile } = await startDetachedSite(options, process.argv.slice(1));
          printResult(args.json, { ...ready, console: consoleFile }, `Site ${ready.siteCode} is running in the background (pid ${ready.pid}): MP ${ready.mp}, CMG ${ready.cmg}; its messages go to ${consoleFile}. Stop it with '${stopHint(args)}'.\n`);
          return 0;
        }
        await serveSite(options, {
          ready: (ready) => printResult(args.json, ready, runningText(ready, args)),
          stopping: (signal) => process.stderr.write(`ccmlab: ${signal}: draining requests and stopping the site\n`),
        });
        return 0;
      }),
  };
}

function runningText(ready: ReadyInfo, args: SiteArgs): string {
  return `Site ${ready.siteCode} is running (pid ${ready.pid}):\n  MP         ${ready.mp}\n  MP (HTTPS) ${ready.mpHttps}\n  CMG        ${ready.cmg}  (${ready.cmgName}/CCM_Proxy_MutualAuth/${ready.roleId})\nStop it with Ctrl+C or '${stopHint(args)}'.\n`;
}

/** The stop command for this site, with the --lab it was started with (without it, site stop looks in the default lab). */
function stopHint(args: SiteArgs): string {
  return args.lab !== undefined && args.lab !== '' ? `ccmlab site stop --lab ${args.lab}` : 'ccmlab site stop';
}

function stopCommand(context: CommandContext): CommandModule<object, SiteArgs> {
  return {
    command: 'stop',
    describe: "stop the site started with 'site start' (SIGTERM to its process, then wait for it)",
    builder: (y: Argv) => withExamples(withSiteOptions(y), 'site stop') as unknown as Argv<SiteArgs>,
    handler: (args) =>
      context.run(async () => {
        const pid = await stopRunningSite(args['site-dir']);
        const message = pid === undefined ? `No site is running in ${path.resolve(args['site-dir'])}; nothing to stop.` : `The site (process ${pid}) has stopped.`;
        printResult(args.json, { stopped: pid !== undefined, pid: pid ?? null }, `${message}\n`);
        return 0;
      }),
  };
}

interface ConfigArgs extends SiteArgs {
  key?: string;
  value?: string;
}

function configCommand(context: CommandContext): CommandModule {
  return {
    command: 'config',
    describe: 'site settings, read by the running site at once',
    builder: (y: Argv) =>
      withExamples(y, 'site config')
        .command({
          command: 'get [key]',
          describe: `print settings (${Object.keys(DEFAULT_SETTINGS).join(', ')})`,
          builder: (g: Argv) => withExamples(withSiteOptions(g), 'site config get').positional('key', { type: 'string' }) as unknown as Argv<ConfigArgs>,
          handler: (args: ConfigArgs) =>
            context.run(async () => {
              if (args.key !== undefined) {
                const { key, value } = siteSetting(args['site-dir'], args.key);
                printResult(args.json, { [key]: value }, `${String(value)}\n`);
              } else {
                const settings = siteSettings(args['site-dir']);
                printResult(args.json, settings, Object.entries(settings).map(([k, v]) => `${k} = ${String(v)}\n`).join(''));
              }
              return 0;
            }),
        })
        .command({
          command: 'set <key> <value>',
          describe: 'change a setting',
          builder: (s: Argv) => withExamples(withSiteOptions(s), 'site config set').positional('key', { type: 'string' }).positional('value', { type: 'string' }) as unknown as Argv<ConfigArgs>,
          handler: (args: ConfigArgs) =>
            context.run(async () => {
              const { key, value } = changeSetting(args['site-dir'], String(args.key), String(args.value));
              printResult(args.json, { [key]: value }, `${key} = ${String(value)}\n`);
              return 0;
            }),
        })
        .demandCommand(1, 'name a config command: get, set'),
    handler: () => undefined,
  };
}

interface ClientArgs extends SiteArgs {
  smsid: string;
}

function clientsCommand(context: CommandContext): CommandModule {
  return {
    command: 'clients',
    describe: 'clients the MP has recorded',
    builder: (y: Argv) =>
      withExamples(y, 'site clients')
        .command({
          command: 'list',
          describe: 'list clients, pending ones included',
          builder: (l: Argv) => withExamples(withSiteOptions(l), 'site clients list'),
          handler: (args: SiteArgs) =>
            context.run(async () => {
              const clients = siteClients(args['site-dir']).map(clientJson);
              printResult(args.json, clients, () => (clients.length === 0 ? 'No clients.\n' : formatTable(CLIENT_COLUMNS, clients)));
              return 0;
            }),
        })
        .command({
          command: 'approve <smsid>',
          describe: 'approve a client held by manual approval',
          builder: (a: Argv) => withExamples(withSiteOptions(a), 'site clients approve').positional('smsid', { type: 'string' }) as unknown as Argv<ClientArgs>,
          handler: (args: ClientArgs) =>
            context.run(async () => {
              const smsid = requireSmsid(String(args.smsid));
              const { client, changed } = approveSiteClient(args['site-dir'], smsid);
              const message = changed ? `Client ${smsid} is approved; it registers at its next confirmation.` : `Client ${smsid} needed no approval (approval ${client.approval}); nothing changed.`;
              printResult(args.json, { ...clientJson(client), changed }, `${message}\n`);
              return 0;
            }),
        })
        .demandCommand(1, 'name a clients command: list, approve'),
    handler: () => undefined,
  };
}

export function siteRunCommands(context: CommandContext): CommandModule[] {
  return [startCommand(context) as unknown as CommandModule, stopCommand(context) as unknown as CommandModule, configCommand(context), clockCommand(context, 'site clock', withSiteOptions), clientsCommand(context)];
}
