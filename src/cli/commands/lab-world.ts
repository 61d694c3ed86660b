import * as fs from 'node:fs';
import * as path from 'node:path';
import { TOP_COMMANDS } from '../command-index';
import { CcmlabError } from '../../core/errors';
import { readBoundedText } from '../../store/files';
import { clockFile, setLabClock } from '../../world/lab-clock';
import { blockedEndpoints, blockEndpoint, parseEndpoint, unblockEndpoint } from '../../world/lab-firewall';
import { distrustRoot, listRoots, trustRoot } from '../../world/lab-roots';
import { commandGroup, leafCommand, type Command } from '../command-tree';
import type { CommandContext } from '../context';
import { SITE_OPTIONS } from '../options';
import { printResult } from '../output';
import { clockOf, labOf, resolveSite, siteLabOf, type LabArgs } from '../site-options';

/** The lab's shared world: its clock (`ccmlab clock`) and its trusted roots (`ccmlab lab trust`). */

const MAX_ROOT_FILE = 64 * 1024;

/** `+31d 2h 5m`, `-1d`, `0`: an offset as people write it. */
export function describeOffset(ms: number): string {
  if (Math.abs(ms) < 60_000) return '0 (real time)';
  const sign = ms < 0 ? '-' : '+';
  let rest = Math.round(Math.abs(ms) / 60_000);
  const days = Math.floor(rest / 1440);
  rest -= days * 1440;
  const parts = [
    days ? `${days}d` : '',
    Math.floor(rest / 60) ? `${Math.floor(rest / 60)}h` : '',
    rest % 60 ? `${rest % 60}m` : '',
  ].filter(Boolean);
  return `${sign}${parts.join(' ')}`;
}

/** The lab clock as a source of time: its file, or that no `clock set` has made one (the lab then runs on real time). */
function labClockSource(file: string): string {
  return fs.existsSync(file)
    ? `the lab clock (${file})`
    : `the lab clock (not set: no ${file} yet, so this machine's time)`;
}

/** What `clock show` and `site show` say about the time a command runs on. */
export function labTimeSummary(args: LabArgs & { inLab?: boolean }): {
  labTime: string;
  offsetMs: number;
  offset: string;
  source: string;
} {
  const clock = clockOf(args);
  const lab = siteLabOf(args);
  const source = args.now
    ? '--now'
    : process.env.CCMLAB_NOW
      ? 'CCMLAB_NOW'
      : lab
        ? labClockSource(path.resolve(clockFile(lab)))
        : "this machine's clock (a site outside any lab)";
  return {
    labTime: clock.now().toISOString(),
    offsetMs: clock.offsetMs,
    offset: describeOffset(clock.offsetMs),
    source,
  };
}

function showClock(args: LabArgs & { inLab?: boolean }): number {
  const summary = labTimeSummary(args);
  printResult(args.json, summary, `Lab time: ${summary.labTime} (offset ${summary.offset}; from ${summary.source})\n`);
  return 0;
}

function setClock(args: LabArgs & { when?: string }, group: 'clock' | 'site clock'): number {
  if (args.when === undefined || args.when === '')
    throw new CcmlabError(
      'CCMLAB_E_USAGE',
      `say where to move the clock: ccmlab ${group} set <ISO|+Nd|-Nd|+Nh|-Nh|reset>`,
    );
  const { now, offsetMs } = setLabClock(labOf(args), args.when);
  printResult(
    args.json,
    { labTime: now.toISOString(), offsetMs, offset: describeOffset(offsetMs) },
    `The lab clock now shows ${now.toISOString()} (offset ${describeOffset(offsetMs)}).\n`,
  );
  return 0;
}

const SHOW_CLOCK = 'print the lab time and its offset from real time';
const SET_CLOCK = 'move the lab clock: an ISO-8601 instant, +Nd/-Nd/+Nh/-Nh/+Nm/-Nm from the lab time now, or reset';
const WHEN = { when: { type: 'string', describe: 'the instant, the offset from the lab time now, or reset' } } as const;

/** `ccmlab clock`: the lab clock every process in the lab follows (the role NTP plays). */
export function clockCommand(context: CommandContext): Command {
  return commandGroup(context, {
    path: 'clock',
    describe: TOP_COMMANDS.clock,
    commands: [
      leafCommand(context, {
        path: 'clock show',
        describe: SHOW_CLOCK,
        options: {},
        run: async (args) => showClock(args),
      }),
      leafCommand(context, {
        path: 'clock set',
        describe: SET_CLOCK,
        options: WHEN,
        positionals: ['when'],
        run: async (args) => setClock(args, 'clock'),
      }),
    ],
  });
}

/** `ccmlab site clock`: the same clock, for a site command line (it takes the site options; the clock is the lab's all the same). */
export function siteClockCommand(context: CommandContext): Command {
  return commandGroup(context, {
    path: 'site clock',
    describe: "the lab clock (same as 'ccmlab clock')",
    commands: [
      leafCommand(context, {
        path: 'site clock show',
        describe: SHOW_CLOCK,
        options: SITE_OPTIONS,
        run: async (args) => showClock(resolveSite(args)),
      }),
      leafCommand(context, {
        path: 'site clock set',
        describe: SET_CLOCK,
        options: { ...SITE_OPTIONS, ...WHEN },
        positionals: ['when'],
        run: async (args) => setClock(args, 'site clock'),
      }),
    ],
  });
}

const FILE = {
  file: { type: 'string', demandOption: true, describe: 'the root certificate (PEM)' },
  name: { type: 'string', requiresArg: true, describe: 'the name to keep it under (default: the file name)' },
} as const;

function trustCommand(context: CommandContext): Command {
  const list = leafCommand(context, {
    path: 'lab trust list',
    describe: 'the roots every client in the lab trusts',
    options: {},
    run: async (args) => {
      const roots = listRoots(labOf(args));
      const header = `${'NAME'.padEnd(20)} ${'THUMBPRINT'.padEnd(40)} SUBJECT\n`;
      printResult(
        args.json,
        roots,
        roots.length === 0
          ? 'The lab trusts no root.\n'
          : header +
              roots
                .map((r) => `${r.name.padEnd(20)} ${r.thumbprint.padEnd(40)} ${r.subject.replace(/\n/g, ', ')}\n`)
                .join(''),
      );
      return 0;
    },
  });
  const add = leafCommand(context, {
    path: 'lab trust add',
    describe: 'trust a root certificate (PEM) on every client in the lab',
    options: FILE,
    positionals: ['file'],
    run: async (args) => {
      const pem = readBoundedText(args.file, MAX_ROOT_FILE, {
        label: 'root certificate file',
        code: 'CCMLAB_E_FILE_UNREADABLE',
        fix: 'give a PEM certificate file',
      });
      const root = trustRoot(labOf(args), args.name ?? path.basename(args.file).replace(/\.[^.]*$/, ''), pem);
      printResult(args.json, root, `The lab trusts ${root.subject} as '${root.name}'.\n`);
      return 0;
    },
  });
  const remove = leafCommand(context, {
    path: 'lab trust remove',
    describe: 'stop trusting a root (reproduces an untrusted CMG: INVALID_CA)',
    options: { name: { type: 'string', demandOption: true, describe: 'the name the lab keeps the root under' } },
    positionals: ['name'],
    run: async (args) => {
      const removed = distrustRoot(labOf(args), args.name);
      printResult(
        args.json,
        { name: args.name, removed },
        removed
          ? `The lab no longer trusts '${args.name}'.\n`
          : `The lab did not trust '${args.name}'; nothing changed.\n`,
      );
      return 0;
    },
  });
  return commandGroup(context, {
    path: 'lab trust',
    describe: 'the root certificates every client in the lab trusts (the role a GPO plays)',
    commands: [list, add, remove],
  });
}

const ENDPOINT = {
  endpoint: { type: 'string', demandOption: true, describe: 'HOST:PORT, or HOST:* for every port' },
} as const;

function firewallChange(context: CommandContext, verb: 'block' | 'unblock'): Command {
  return leafCommand(context, {
    path: `lab firewall ${verb}`,
    describe:
      verb === 'block'
        ? "refuse the lab's clients' connections to HOST:PORT (HOST:* for every port)"
        : 'let them through again',
    options: ENDPOINT,
    positionals: ['endpoint'],
    run: async (args) => {
      const endpoint = parseEndpoint(args.endpoint);
      const changed = verb === 'block' ? blockEndpoint(labOf(args), endpoint) : unblockEndpoint(labOf(args), endpoint);
      const said =
        verb === 'block'
          ? changed
            ? `The lab's firewall now refuses ${endpoint}.`
            : `${endpoint} was blocked already; nothing changed.`
          : changed
            ? `The lab's firewall lets ${endpoint} through again.`
            : `${endpoint} was not blocked; nothing changed.`;
      printResult(args.json, { endpoint, blocked: verb === 'block', changed }, `${said}\n`);
      return 0;
    },
  });
}

function firewallCommand(context: CommandContext): Command {
  const list = leafCommand(context, {
    path: 'lab firewall list',
    describe: "the endpoints the lab's clients cannot reach",
    options: {},
    run: async (args) => {
      const blocked = blockedEndpoints(labOf(args));
      printResult(
        args.json,
        blocked,
        blocked.length === 0 ? 'The lab blocks no endpoint.\n' : blocked.map((b) => `${b}\n`).join(''),
      );
      return 0;
    },
  });
  return commandGroup(context, {
    path: 'lab firewall',
    describe: "endpoints the lab's clients cannot reach (connection refused)",
    commands: [list, firewallChange(context, 'block'), firewallChange(context, 'unblock')],
  });
}

export function labCommand(context: CommandContext): Command {
  return commandGroup(context, {
    path: 'lab',
    describe: TOP_COMMANDS.lab,
    commands: [trustCommand(context), firewallCommand(context)],
  });
}
