import * as path from 'node:path';
import { CcmlabError } from '../../core/errors';
import { approveClient, clientJson, listClients, requireSmsid } from '../../site/clients';
import { claimSite, readyFilePath, refuseIfRunning, stopRunningSite, writeReadyFile } from '../../site/site-instance';
import { openSite } from '../../site/site-dir';
import { startSite, type ReadyInfo } from '../../site/site-server';
import { removeFile } from '../../store/file-writes';
import { startDetached } from '../detach';
import { publishSiteNames } from '../../lab/site-names';
import { siteClockCommand } from './lab-world';
import { DEFAULT_SETTINGS, readSettings, requireSettingKey, writeSetting } from '../../site/settings';
import { commandGroup, leafCommand, type Command } from '../command-tree';
import type { CommandContext } from '../context';
import { SITE_OPTIONS } from '../options';
import { formatTable, printResult } from '../output';
import { clockOf, onSite, siteLabOf, withSite, type SiteArgs } from '../site-options';
import { escapeControl } from '../../core/text';
import { labNames } from '../../world/lab-names';
import type { Lab } from '../../world/lab';
import type { Clock } from '../../core/clock';

/** The running site and what changes it while it runs: settings, clock, client approval. */

/** A detached site's stderr, in its site directory. */
const CONSOLE_FILE = 'console.log';

const READY_FILE_ROLE = { label: '--ready-file', code: 'CCMLAB_E_STATE_WRITE', fix: 'remove it yourself' } as const;

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

const START_OPTIONS = {
  ...SITE_OPTIONS,
  host: { type: 'string', default: '127.0.0.1', requiresArg: true, describe: 'the address every listener binds (loopback by default)' },
  'mp-port': { type: 'string', requiresArg: true, describe: 'MP over HTTP (default: the recorded port; 0 = any free port)' },
  'mp-https-port': { type: 'string', requiresArg: true, describe: 'MP over HTTPS' },
  'cmg-port': { type: 'string', requiresArg: true, describe: 'CMG over HTTPS' },
  'ready-file': { type: 'string', requiresArg: true, describe: 'also write the URLs here (always in <site dir>/ready.json)' },
  detach: { type: 'boolean', describe: "run in the background: return once it listens; stop it with 'ccmlab site stop'" },
} as const;

function startCommand(context: CommandContext): Command {
  return leafCommand(context, {
    path: 'site start',
    describe: 'run the MP (HTTP and HTTPS) and the CMG (HTTPS) on the ports recorded at init, until SIGINT, SIGTERM or site stop',
    options: START_OPTIONS,
    run: onSite(async (args) => {
      // Options first: a usage error is exit 2 whatever the site.
      const ports = { mpPort: port(args['mp-port'], 'mp-port'), mpHttpsPort: port(args['mp-https-port'], 'mp-https-port'), cmgPort: port(args['cmg-port'], 'cmg-port') };
      // The site and the lab's files are read before anything starts: one that is bad now refuses the start.
      const { lab, clock } = startingPoint(args);
      if (args.detach) {
        refuseIfRunning(args['site-dir']);
        const consoleFile = path.resolve(args['site-dir'], CONSOLE_FILE);
        const ready = (await startDetached(process.argv.slice(2), consoleFile)) as unknown as ReadyInfo;
        printResult(args.json, { ...ready, console: consoleFile }, `Site ${ready.siteCode} is running in the background (pid ${ready.pid}): MP ${ready.mp}, CMG ${ready.cmg}; its messages go to ${consoleFile}. Stop it with '${stopHint(args)}'.\n`);
        return 0;
      }
      const release = claimSite(args['site-dir']);
      try {
        const running = await startSite({ siteDir: args['site-dir'], host: args.host, ...ports, logDir: args['log-dir'], clock });
        const stopped = new Promise<string>((resolve) => {
          process.once('SIGINT', () => resolve('SIGINT'));
          process.once('SIGTERM', () => resolve('SIGTERM'));
        });
        const { ready } = running;
        if (lab) publishSiteNames(lab, ready, args.host);
        writeReadyFile(readyFilePath(args['site-dir']), ready);
        if (args['ready-file']) writeReadyFile(args['ready-file'], ready);
        printResult(
          args.json,
          ready,
          `Site ${ready.siteCode} is running (pid ${ready.pid}):\n  MP         ${ready.mp}\n  MP (HTTPS) ${ready.mpHttps}\n  CMG        ${ready.cmg}  (${ready.cmgName}/CCM_Proxy_MutualAuth/${ready.roleId})\nStop it with Ctrl+C or '${stopHint(args)}'.\n`,
        );
        const signal = await stopped;
        process.stderr.write(`ccmlab: ${signal}: draining requests and stopping the site\n`);
        await running.stop();
        if (args['ready-file']) removeFile(args['ready-file'], READY_FILE_ROLE);
      } finally {
        release();
      }
      return 0;
    }),
  });
}

/** The site, its lab and its clock, each read once: a start that cannot use them is refused before it changes anything. */
function startingPoint(args: SiteArgs): { lab: Lab | undefined; clock: Clock } {
  openSite(args['site-dir']).close();
  const lab = siteLabOf(args);
  const clock = clockOf(args, (message) => process.stderr.write(`ccmlab: ${escapeControl(message)}\n`));
  if (lab) labNames(lab);
  return { lab, clock };
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
      const message = pid === undefined ? `No site is running in ${path.resolve(args['site-dir'])}; nothing to stop.` : `The site (process ${pid}) has stopped.`;
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
      withSite(args, (site) => {
        const settings = readSettings(site.db);
        if (args.key !== undefined) {
          const key = requireSettingKey(args.key);
          printResult(args.json, { [key]: settings[key] }, `${String(settings[key])}\n`);
        } else {
          printResult(args.json, settings, Object.entries(settings).map(([k, v]) => `${k} = ${String(v)}\n`).join(''));
        }
      });
      return 0;
    }),
  });
  const set = leafCommand(context, {
    path: 'site config set',
    describe: 'change a setting',
    options: { ...SITE_OPTIONS, key: KEY, value: { type: 'string', demandOption: true, describe: 'its new value' } },
    positionals: ['key', 'value'],
    run: onSite(async (args) => {
      withSite(args, (site) => {
        const key = requireSettingKey(args.key);
        const value = writeSetting(site.db, key, args.value);
        printResult(args.json, { [key]: value }, `${key} = ${String(value)}\n`);
      });
      return 0;
    }),
  });
  return commandGroup(context, { path: 'site config', describe: 'site settings, read by the running site at once', commands: [get, set] });
}

function clientsCommand(context: CommandContext): Command {
  const list = leafCommand(context, {
    path: 'site clients list',
    describe: 'list clients, pending ones included',
    options: SITE_OPTIONS,
    run: onSite(async (args) => {
      withSite(args, (site) => {
        const clients = listClients(site.db).map(clientJson);
        printResult(args.json, clients, () => (clients.length === 0 ? 'No clients.\n' : formatTable(CLIENT_COLUMNS, clients)));
      });
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
      withSite(args, (site) => {
        const { client, changed } = approveClient(site.db, smsid);
        const message = changed ? `Client ${smsid} is approved; it registers at its next confirmation.` : `Client ${smsid} needed no approval (approval ${client.approval}); nothing changed.`;
        printResult(args.json, { ...clientJson(client), changed }, `${message}\n`);
      });
      return 0;
    }),
  });
  return commandGroup(context, { path: 'site clients', describe: 'clients the MP has recorded', commands: [list, approve] });
}

/** The running site and what changes it while it runs, in the order `ccmlab site --help` lists them. */
export function siteRunCommands(context: CommandContext): Command[] {
  return [startCommand(context), stopCommand(context), clientsCommand(context), configCommand(context), siteClockCommand(context)];
}
