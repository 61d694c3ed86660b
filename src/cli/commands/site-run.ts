import * as path from 'node:path';
import { CcmlabError } from '../../core/errors';
import { escapeControl } from '../../core/text';
import { startDetachedSite } from '../../orchestration/detached-site';
import { serveSite, type SiteRunOptions } from '../../orchestration/run-site';
import { cmgHostName } from '../../protocol/cmg-address';
import { approveSiteClient, changeSetting, siteClients, siteSetting, siteSettings } from '../../site/administration';
import { clientJson, requireSmsid } from '../../site/clients';
import { DEFAULT_SETTINGS } from '../../site/settings';
import { stopRunningSite } from '../../site/site-instance';
import type { ReadyInfo } from '../../site/site-server';
import { commandGroup, leafCommand, type Command } from '../command-tree';
import type { CommandContext } from '../context';
import { SITE_OPTIONS } from '../options';
import { formatTable, printResult } from '../output';
import { clockOf, onSite, siteLabOf, type SiteArgs } from '../site-options';
import { siteClockCommand } from './lab-world';

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
  if (!/^\d{1,5}$/.test(String(value)) || n > 65535)
    throw new CcmlabError(
      'CCMLAB_E_BAD_OPTION',
      `--${option} '${String(value)}' is not a port from 0 to 65535 (0 = any free port, not recorded)`,
    );
  return n;
}

const START_OPTIONS = {
  ...SITE_OPTIONS,
  host: {
    type: 'string',
    default: '127.0.0.1',
    requiresArg: true,
    describe: 'the address every listener binds (loopback by default)',
  },
  'mp-port': {
    type: 'string',
    requiresArg: true,
    describe: 'MP over HTTP (default: the recorded port; 0 = any free port)',
  },
  'mp-https-port': { type: 'string', requiresArg: true, describe: 'MP over HTTPS' },
  'cmg-port': { type: 'string', requiresArg: true, describe: 'CMG over HTTPS' },
  'ready-file': {
    type: 'string',
    requiresArg: true,
    describe: 'also write the URLs here (always in <site dir>/ready.json)',
  },
  detach: {
    type: 'boolean',
    describe: "run in the background: return once it listens; stop it with 'ccmlab site stop'",
  },
} as const;

function startCommand(context: CommandContext): Command {
  return leafCommand(context, {
    path: 'site start',
    describe:
      'run the MP (HTTP and HTTPS) and the CMG (HTTPS) on the ports recorded at init, until SIGINT, SIGTERM or site stop',
    options: START_OPTIONS,
    run: onSite(async (args) => {
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
        printResult(
          args.json,
          { ...ready, console: consoleFile },
          `Site ${ready.siteCode} is running in the background (pid ${ready.pid}): MP ${ready.mp}, CMG ${ready.cmg}; its messages go to ${consoleFile}. Stop it with '${stopHint(args)}'.\n`,
        );
        return 0;
      }
      await serveSite(options, {
        ready: (ready) => printResult(args.json, ready, runningText(ready, args)),
        stopping: (signal) => process.stderr.write(`ccmlab: ${signal}: draining requests and stopping the site\n`),
      });
      return 0;
    }),
  });
}

function runningText(ready: ReadyInfo, args: SiteArgs): string {
  return `Site ${ready.siteCode} is running (pid ${ready.pid}):\n  MP         ${ready.mp}\n  MP (HTTPS) ${ready.mpHttps}\n  CMG        ${ready.cmg}  (${cmgHostName(ready.cmgName, ready.roleId)})\nStop it with Ctrl+C or '${stopHint(args)}'.\n`;
}

/** The stop command for this site, with the --lab it was started with (without it, site stop looks in the default lab). */
function stopHint(args: SiteArgs): string {
  return args.lab !== undefined && args.lab !== '' ? `ccmlab site stop --lab ${args.lab}` : 'ccmlab site stop';
}

function stopCommand(context: CommandContext): Command {
  return leafCommand(context, {
    path: 'site stop',
    describe: "stop the site started with 'site start' (SIGTERM to its process, then wait for it)",
    options: SITE_OPTIONS,
    run: onSite(async (args) => {
      const pid = await stopRunningSite(args['site-dir']);
      const message =
        pid === undefined
          ? `No site is running in ${path.resolve(args['site-dir'])}; nothing to stop.`
          : `The site (process ${pid}) has stopped.`;
      printResult(args.json, { stopped: pid !== undefined, pid: pid ?? null }, `${message}\n`);
      return 0;
    }),
  });
}

const KEY = { type: 'string', demandOption: true, describe: 'the setting' } as const;

function configCommand(context: CommandContext): Command {
  const get = leafCommand(context, {
    path: 'site config get',
    describe: `print settings (${Object.keys(DEFAULT_SETTINGS).join(', ')})`,
    options: { ...SITE_OPTIONS, key: { type: 'string', describe: 'the setting (default: every setting)' } },
    positionals: ['key'],
    run: onSite(async (args) => {
      if (args.key !== undefined) {
        const { key, value } = siteSetting(args['site-dir'], args.key);
        printResult(args.json, { [key]: value }, `${String(value)}\n`);
      } else {
        const settings = siteSettings(args['site-dir']);
        printResult(
          args.json,
          settings,
          Object.entries(settings)
            .map(([k, v]) => `${k} = ${String(v)}\n`)
            .join(''),
        );
      }
      return 0;
    }),
  });
  const set = leafCommand(context, {
    path: 'site config set',
    describe: 'change a setting',
    options: { ...SITE_OPTIONS, key: KEY, value: { type: 'string', demandOption: true, describe: 'its new value' } },
    positionals: ['key', 'value'],
    run: onSite(async (args) => {
      const { key, value } = changeSetting(args['site-dir'], args.key, args.value);
      printResult(args.json, { [key]: value }, `${key} = ${String(value)}\n`);
      return 0;
    }),
  });
  return commandGroup(context, {
    path: 'site config',
    describe: 'site settings, read by the running site at once',
    commands: [get, set],
  });
}

function clientsCommand(context: CommandContext): Command {
  const list = leafCommand(context, {
    path: 'site clients list',
    describe: 'list clients, pending ones included',
    options: SITE_OPTIONS,
    run: onSite(async (args) => {
      const clients = siteClients(args['site-dir']).map(clientJson);
      printResult(args.json, clients, () =>
        clients.length === 0 ? 'No clients.\n' : formatTable(CLIENT_COLUMNS, clients),
      );
      return 0;
    }),
  });
  const approve = leafCommand(context, {
    path: 'site clients approve',
    describe: 'approve a client held by manual approval',
    options: { ...SITE_OPTIONS, smsid: { type: 'string', demandOption: true, describe: "the client's SMSID" } },
    positionals: ['smsid'],
    run: onSite(async (args) => {
      const smsid = requireSmsid(args.smsid);
      const { client, changed } = approveSiteClient(args['site-dir'], smsid);
      const message = changed
        ? `Client ${smsid} is approved; it registers at its next confirmation.`
        : `Client ${smsid} needed no approval (approval ${client.approval}); nothing changed.`;
      printResult(args.json, { ...clientJson(client), changed }, `${message}\n`);
      return 0;
    }),
  });
  return commandGroup(context, {
    path: 'site clients',
    describe: 'clients the MP has recorded',
    commands: [list, approve],
  });
}

/** The running site and what changes it while it runs, in the order `ccmlab site --help` lists them. */
export function siteRunCommands(context: CommandContext): Command[] {
  return [
    startCommand(context),
    stopCommand(context),
    clientsCommand(context),
    configCommand(context),
    siteClockCommand(context),
  ];
}
