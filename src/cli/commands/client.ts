import { untilStopped } from '../stop-signal';
import { TOP_COMMANDS } from '../command-index';
import type { AgentOptions, StartAction } from '../../client/agent';
import { clientStatus, expiredTokenAdvice, loadClient, type ClientState } from '../../client/client-state';
import { parseConnectTo } from '../../core/connect-to';
import { CcmlabError } from '../../core/errors';
import { netbiosOption } from '../../core/netbios';
import { escapeControl } from '../../core/text';
import { labEnvironment, NO_ENVIRONMENT } from '../../world/environment';
import { labAt, labInUse, type Lab } from '../../world/lab';
import { commandClock, watchLabClock } from '../../world/lab-clock';
import { defaultNetbiosName } from '../ccmsetup-options';
import { commandGroup, leafCommand, type Command, type ParsedArgs } from '../command-tree';
import type { CommandContext } from '../context';
import { CLIENT_OPTIONS } from '../options';
import { printResult } from '../output';

/** `ccmlab client …`: the emulated client agent (CcmExec) working on a client dir. */

type ClientArgs = ParsedArgs<typeof CLIENT_OPTIONS>;

/**
 * The agent (its TLS transport, logs, enrollment), loaded by the commands that run it: status
 * reads the client's files and needs none of it.
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded by start, run and roam, not by status
const agent = (): typeof import('../../client/agent') => require('../../client/agent');

/** --client-dir, or the lab's dir of --netbios (default: this machine's name). */
function clientDirOf(args: ClientArgs): string {
  return args['client-dir'] ?? labAt(args.lab).clientDir(netbiosOption(args.netbios ?? defaultNetbiosName()));
}

/** The lab the client is a machine of; none when --client-dir points outside a named lab. */
function clientLabOf(args: ClientArgs): Lab | undefined {
  return labInUse(args.lab, args['client-dir'] !== undefined);
}

function agentOptions(args: ClientArgs, onKeep?: (message: string) => void): AgentOptions {
  const lab = clientLabOf(args);
  return {
    clientDir: clientDirOf(args),
    logDir: args['log-dir'],
    connectTo: args['connect-to']?.map(parseConnectTo),
    caFile: args['ca-file'],
    environment: lab ? labEnvironment(lab) : NO_ENVIRONMENT,
    clock: commandClock(args.now, lab, { onKeep }),
    onClockChange: lab ? (wake) => watchLabClock(lab, wake) : undefined,
  };
}

function humanStatus(s: Record<string, unknown>): string {
  const lines = Object.entries(s).map(([k, v]) => `${k.padEnd(20)} ${v === null ? '-' : String(v)}`);
  if (s.tokenState === 'expired') {
    lines.push(
      `The CCM token expired at ${String(s.tokenExpiresAt)}: ${expiredTokenAdvice({ assignedMp: (s.assignedMp as string | null) ?? null })}.`,
    );
  }
  return `${lines.join('\n')}\n`;
}

function startMessage(action: StartAction, { config }: ClientState): string {
  const messages: Record<StartAction, string> = {
    renewed: `CCM token renewed; valid until ${config.token?.expiresAt ?? ''}, next renewal due ${config.token?.renewalDue ?? ''}.`,
    'not-due': `CCM token valid until ${config.token?.expiresAt ?? ''}; renewal due ${config.token?.renewalDue ?? ''}.`,
    registered: `Client ${config.smsid} is registered; CCM token valid until ${config.token?.expiresAt ?? ''}.`,
    'pending-approval': `Client ${config.smsid} still waits for approval on the site.`,
  };
  return `${messages[action]}\n`;
}

function startCommand(context: CommandContext): Command {
  return leafCommand(context, {
    path: 'client start',
    describe:
      'CcmExec starting: refresh the MP location, finish a pending registration, renew the token once it is 30 days old',
    options: CLIENT_OPTIONS,
    run: async (args) => {
      const options = agentOptions(args);
      const { action, state } = await agent().agentStart(options);
      printResult(
        args.json,
        { action, ...clientStatus(state, options.clientDir, options.clock.now()) },
        startMessage(action, state),
      );
      return 0;
    },
  });
}

function runCommand(context: CommandContext): Command {
  return leafCommand(context, {
    path: 'client run',
    describe: 'keep the agent running: renew on schedule until SIGINT or SIGTERM',
    options: CLIENT_OPTIONS,
    run: async (args) => {
      const say = (event: string) => process.stderr.write(`ccmlab client: ${escapeControl(event)}\n`);
      await untilStopped((signal) => agent().agentRun(agentOptions(args, say), signal, say));
      return 0;
    },
  });
}

function statusCommand(context: CommandContext): Command {
  return leafCommand(context, {
    path: 'client status',
    describe: 'SMSID, site, MPs, token expiry, next renewal, certificate thumbprints',
    options: CLIENT_OPTIONS,
    run: async (args) => {
      // Status reads the client's own state and clock only: no names or roots are needed.
      const clientDir = clientDirOf(args);
      const status = clientStatus(loadClient(clientDir), clientDir, commandClock(args.now, clientLabOf(args)).now());
      printResult(args.json, status, humanStatus(status));
      return 0;
    },
  });
}

const ROAM_OPTIONS = {
  ...CLIENT_OPTIONS,
  internet: { type: 'boolean', describe: 'use the CMG' },
  intranet: { type: 'boolean', describe: 'use the intranet MP' },
} as const;

function roamCommand(context: CommandContext): Command {
  return leafCommand(context, {
    path: 'client roam',
    describe: 'move the client to the internet (CMG, with its token) or the intranet',
    options: ROAM_OPTIONS,
    conflicts: [['internet', 'intranet']],
    run: async (args) => {
      if (!args.internet && !args.intranet)
        throw new CcmlabError('CCMLAB_E_USAGE', 'say where the client goes: --internet or --intranet');
      const options = agentOptions(args);
      const state = await agent().agentRoam(options, args.internet ? 'internet' : 'intranet');
      const where =
        state.config.location === 'internet'
          ? `CMG (${state.config.internetMp ?? ''})`
          : `intranet MP (${state.config.assignedMp ?? ''})`;
      printResult(
        args.json,
        clientStatus(state, options.clientDir, options.clock.now()),
        `The client now uses the ${where}.\n`,
      );
      return 0;
    },
  });
}

export function clientCommand(context: CommandContext): Command {
  return commandGroup(context, {
    path: 'client',
    describe: TOP_COMMANDS.client,
    commands: [startCommand(context), runCommand(context), statusCommand(context), roamCommand(context)],
  });
}
