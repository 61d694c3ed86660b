import * as path from 'node:path';
import { TOP_COMMANDS } from '../command-index';
import { runDemo, type DemoSummary } from '../../orchestration/embedded-lab';
import { labAt } from '../../world/lab';
import { commandClock } from '../../world/lab-clock';
import { leafCommand, type Command } from '../command-tree';
import type { CommandContext } from '../context';
import { GLOBAL_OPTIONS } from '../options';
import { printResult } from '../output';

/**
 * The main job: a fresh lab on loopback, the site in-process, a bulk token, and ccmsetup
 * run with the source article's own command line, reaching CONTOSO.CLOUDAPP.NET through
 * the lab's names and trusting the site's root as every machine in the lab does.
 */

/** The demo makes its lab afresh, so it never defaults to the lab of every other command (lab/, or CCMLAB_LAB). */
const DEMO_LAB = path.join('lab', 'demo');

const DEMO_OPTIONS = {
  lab: {
    ...GLOBAL_OPTIONS.lab,
    alias: 'lab-dir',
    describe: `the demo's lab root, made afresh (default ${DEMO_LAB}; --lab-dir is its old name)`,
  },
} as const;

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

function describeDemo(summary: DemoSummary, lab: string): string {
  return [
    '',
    'ClientLocation.log:',
    `  ${summary.clientLocationLine}`,
    '',
    `SMSID:          ${summary.smsid}`,
    `CCM token:      valid until ${summary.tokenExpiresAt} (90 days)`,
    `Next renewal:   ${summary.renewalDue} (30 days; the agent renews it)`,
    `Client state:   ${summary.clientDir}`,
    `Client logs:    ${summary.clientLogs}`,
    `Site logs:      ${summary.siteLogs}`,
    `Read a log:     npx ccmlab log show ${path.relative(process.cwd(), summary.locationLog)}`,
    '',
    ...renewalSteps(path.relative(process.cwd(), lab) || '.'),
    '',
  ].join('\n');
}

export function demoCommand(context: CommandContext): Command {
  return leafCommand(context, {
    path: 'demo',
    describe: TOP_COMMANDS.demo,
    options: DEMO_OPTIONS,
    run: async (args) => {
      const lab = path.resolve(args.lab ?? DEMO_LAB);
      const { locationLog, ...summary } = await runDemo(lab, commandClock(args.now, labAt(lab)), (line) =>
        process.stderr.write(`${line}\n`),
      );
      printResult(args.json, summary, () => describeDemo({ ...summary, locationLog }, lab));
      return 0;
    },
  });
}
