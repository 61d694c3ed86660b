import * as path from 'node:path';
import type { Argv, CommandModule } from 'yargs';
import { CcmlabError } from '../../core/errors';
import { readBoundedText } from '../../store/files';
import { clockFile, setLabClock } from '../../world/lab-clock';
import { blockedEndpoints, blockEndpoint, parseEndpoint, unblockEndpoint } from '../../world/lab-firewall';
import { distrustRoot, listRoots, trustRoot } from '../../world/lab-roots';
import type { CommandContext } from '../context';
import { withExamples, type CommandPath } from '../help-examples';
import { printResult } from '../output';
import { clockOf, labOf, siteLabOf, type LabArgs } from '../site-options';

/** The lab's shared world: its clock (`ccmlab clock`) and its trusted roots (`ccmlab lab trust`). */

const MAX_ROOT_FILE = 64 * 1024;

/** `+31d 2h 5m`, `-1d`, `0`: an offset as people write it. */
export function describeOffset(ms: number): string {
  if (Math.abs(ms) < 60_000) return '0 (real time)';
  const sign = ms < 0 ? '-' : '+';
  let rest = Math.round(Math.abs(ms) / 60_000);
  const days = Math.floor(rest / 1440);
  rest -= days * 1440;
  const parts = [days ? `${days}d` : '', Math.floor(rest / 60) ? `${Math.floor(rest / 60)}h` : '', rest % 60 ? `${rest % 60}m` : ''].filter(Boolean);
  return `${sign}${parts.join(' ')}`;
}

/** What `clock show` and `site show` say about the time a command runs on. */
export function labTimeSummary(args: LabArgs & { inLab?: boolean }): { labTime: string; offsetMs: number; offset: string; source: string } {
  const clock = clockOf(args);
  const lab = siteLabOf(args);
  const source = args.now ? '--now' : process.env.CCMLAB_NOW ? 'CCMLAB_NOW' : lab ? `the lab clock (${path.resolve(clockFile(lab))})` : "this machine's clock (a site outside any lab)";
  return { labTime: clock.now().toISOString(), offsetMs: clock.offsetMs, offset: describeOffset(clock.offsetMs), source };
}

interface ClockSetArgs extends LabArgs {
  when?: string;
}

/** `ccmlab clock`, and its alias `ccmlab site clock`, which also takes the site options (the clock is the lab's all the same). */
export function clockCommand(context: CommandContext, name = 'clock', options: (y: Argv) => Argv = (y) => y): CommandModule {
  return {
    command: 'clock',
    describe: name === 'clock' ? "the lab clock every process in the lab follows (the role NTP plays)" : "the lab clock (same as 'ccmlab clock')",
    builder: (y: Argv) =>
      withExamples(y, name as CommandPath)
        .command({
          command: 'show',
          describe: 'print the lab time and its offset from real time',
          builder: (s: Argv) => withExamples(options(s), `${name} show` as CommandPath) as unknown as Argv<LabArgs>,
          handler: (args: LabArgs) =>
            context.run(async () => {
              const summary = labTimeSummary(args);
              printResult(args.json, summary, `Lab time: ${summary.labTime} (offset ${summary.offset}; from ${summary.source})\n`);
              return 0;
            }),
        })
        .command({
          command: 'set [when]',
          describe: 'move the lab clock: an ISO-8601 instant, +Nd/-Nd/+Nh/-Nh/+Nm/-Nm from the lab time now, or reset',
          builder: (s: Argv) =>
            withExamples(options(s), `${name} set` as CommandPath).positional('when', { type: 'string' }),
          handler: (args: ClockSetArgs) =>
            context.run(async () => {
              if (args.when === undefined || args.when === '') throw new CcmlabError('CCMLAB_E_USAGE', `say where to move the clock: ccmlab ${name} set <ISO|+Nd|-Nd|+Nh|-Nh|reset>`);
              const lab = labOf(args);
              const { now, offsetMs } = setLabClock(lab, args.when);
              printResult(args.json, { labTime: now.toISOString(), offsetMs, offset: describeOffset(offsetMs) }, `The lab clock now shows ${now.toISOString()} (offset ${describeOffset(offsetMs)}).\n`);
              return 0;
            }),
        })
        .demandCommand(1, `name a clock command: show, set`),
    handler: () => undefined,
  };
}

interface TrustArgs extends LabArgs {
  file?: string;
  name?: string;
}

export function labCommand(context: CommandContext): CommandModule {
  const trust = (y: Argv) =>
    withExamples(y, 'lab trust')
      .command({
        command: 'list',
        describe: 'the roots every client in the lab trusts',
        builder: (l: Argv) => withExamples(l, 'lab trust list') as unknown as Argv<LabArgs>,
        handler: (args: LabArgs) =>
          context.run(async () => {
            const roots = listRoots(labOf(args));
            const header = `${'NAME'.padEnd(20)} ${'THUMBPRINT'.padEnd(40)} SUBJECT\n`;
            printResult(args.json, roots, roots.length === 0 ? 'The lab trusts no root.\n' : header + roots.map((r) => `${r.name.padEnd(20)} ${r.thumbprint.padEnd(40)} ${r.subject.replace(/\n/g, ', ')}\n`).join(''));
            return 0;
          }),
      })
      .command({
        command: 'add <file>',
        describe: 'trust a root certificate (PEM) on every client in the lab',
        builder: (a: Argv) => withExamples(a, 'lab trust add').positional('file', { type: 'string' }).option('name', { type: 'string', requiresArg: true, describe: 'the name to keep it under (default: the file name)' }),
        handler: (args: TrustArgs) =>
          context.run(async () => {
            const file = String(args.file);
            const pem = readBoundedText(file, MAX_ROOT_FILE, { label: 'root certificate file', code: 'CCMLAB_E_FILE_UNREADABLE', fix: 'give a PEM certificate file' });
            const root = trustRoot(labOf(args), args.name ?? path.basename(file).replace(/\.[^.]*$/, ''), pem);
            printResult(args.json, root, `The lab trusts ${root.subject} as '${root.name}'.\n`);
            return 0;
          }),
      })
      .command({
        command: 'remove <name>',
        describe: 'stop trusting a root (reproduces an untrusted CMG: INVALID_CA)',
        builder: (r: Argv) => withExamples(r, 'lab trust remove').positional('name', { type: 'string' }),
        handler: (args: TrustArgs) =>
          context.run(async () => {
            const removed = distrustRoot(labOf(args), String(args.name));
            printResult(args.json, { name: args.name, removed }, removed ? `The lab no longer trusts '${String(args.name)}'.\n` : `The lab did not trust '${String(args.name)}'; nothing changed.\n`);
            return 0;
          }),
      })
      .demandCommand(1, 'name a trust command: list, add, remove');
  return {
    command: 'lab',
    describe: "the lab's shared world: trusted roots and the firewall (see also 'ccmlab clock')",
    builder: (y: Argv) =>
      withExamples(y, 'lab')
        .command('trust', 'the root certificates every client in the lab trusts (the role a GPO plays)', trust)
        .command('firewall', "endpoints the lab's clients cannot reach (connection refused)", (f: Argv) => firewall(context, f))
        .demandCommand(1, 'name a lab command: trust, firewall'),
    handler: () => undefined,
  };
}

interface FirewallArgs extends LabArgs {
  endpoint?: string;
}

function firewall(context: CommandContext, y: Argv): Argv {
  const change = (verb: 'block' | 'unblock'): CommandModule<object, FirewallArgs> => ({
    command: `${verb} <endpoint>`,
    describe: verb === 'block' ? "refuse the lab's clients' connections to HOST:PORT (HOST:* for every port)" : 'let them through again',
    builder: (b: Argv) => withExamples(b, `lab firewall ${verb}`).positional('endpoint', { type: 'string' }) as unknown as Argv<FirewallArgs>,
    handler: (args: FirewallArgs) =>
      context.run(async () => {
        const endpoint = parseEndpoint(String(args.endpoint));
        const changed = verb === 'block' ? blockEndpoint(labOf(args), endpoint) : unblockEndpoint(labOf(args), endpoint);
        const said = verb === 'block' ? (changed ? `The lab's firewall now refuses ${endpoint}.` : `${endpoint} was blocked already; nothing changed.`) : changed ? `The lab's firewall lets ${endpoint} through again.` : `${endpoint} was not blocked; nothing changed.`;
        printResult(args.json, { endpoint, blocked: verb === 'block', changed }, `${said}\n`);
        return 0;
      }),
  });
  return withExamples(y, 'lab firewall')
    .command({
      command: 'list',
      describe: "the endpoints the lab's clients cannot reach",
      builder: (l: Argv) => withExamples(l, 'lab firewall list') as unknown as Argv<LabArgs>,
      handler: (args: LabArgs) =>
        context.run(async () => {
          const blocked = blockedEndpoints(labOf(args));
          printResult(args.json, blocked, blocked.length === 0 ? 'The lab blocks no endpoint.\n' : blocked.map((b) => `${b}\n`).join(''));
          return 0;
        }),
    })
    .command(change('block'))
    .command(change('unblock'))
    .demandCommand(1, 'name a firewall command: list, block, unblock');
}
