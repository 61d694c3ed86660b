import * as crypto from 'node:crypto';
import * as path from 'node:path';
import type { Argv, CommandModule } from 'yargs';
import { agentRoam, agentRun, agentStart, type AgentOptions } from '../../client/agent';
import { expiredTokenAdvice, loadClient, tokenState, type ClientState } from '../../client/client-state';
import { labEnvironment, NO_ENVIRONMENT } from '../../world/environment';
import { labAt, labInUse, type Lab } from '../../world/lab';
import { netbiosOption } from '../../core/netbios';
import { escapeControl } from '../../core/text';
import { commandClock, watchLabClock } from '../../world/lab-clock';
import { parseConnectTo } from '../../core/connect-to';
import { CcmlabError } from '../../core/errors';
import { defaultNetbiosName } from '../ccmsetup-options';
import type { CommandContext } from '../context';
import { withExamples } from '../help-examples';
import { printResult } from '../output';

/** `ccmlab client …`: the emulated client agent (CcmExec) working on a client dir. */

interface ClientArgs {
  'client-dir'?: string;
  'log-dir'?: string;
  'connect-to'?: string[];
  'ca-file'?: string;
  netbios?: string;
  now?: string;
  lab?: string;
  json?: boolean;
}

function withClientOptions<T>(y: Argv<T>): Argv<T & ClientArgs> {
  return y
    .option('client-dir', { type: 'string', requiresArg: true, describe: 'the client dir (default lab/clients/<NETBIOS>)' })
    .option('netbios', { type: 'string', requiresArg: true, describe: 'the computer name, for the default client dir' })
    .option('log-dir', { type: 'string', requiresArg: true, describe: 'client logs (default: where the client keeps them)' })
    .option('connect-to', { type: 'string', array: true, requiresArg: true, describe: 'HOST:PORT:ADDR:PORT2 (default: what the client keeps)' })
    .option('ca-file', { type: 'string', requiresArg: true, describe: 'root to trust (default: what the client keeps)' }) as unknown as Argv<T & ClientArgs>;
}

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

function statusOf(state: ClientState, clientDir: string, now: Date): Record<string, unknown> {
  const { config } = state;
  const thumbprint = (pem: string) => new crypto.X509Certificate(pem).fingerprint.replace(/:/g, '');
  return {
    smsid: config.smsid,
    netbios: config.netbios,
    siteCode: config.siteCode,
    registration: config.registration,
    assigned: config.registration !== 'unassigned',
    registeredBy: config.registeredBy,
    location: config.location,
    assignedMp: config.assignedMp,
    internetMp: config.internetMp,
    tokenIssuedAt: config.token?.issuedAt ?? null,
    tokenExpiresAt: config.token?.expiresAt ?? null,
    renewalDue: config.token?.renewalDue ?? null,
    tokenState: config.token ? tokenState(config.token, now) : null,
    signingThumbprint: thumbprint(state.signing.certificatePem),
    encryptionThumbprint: thumbprint(state.encryption.certificatePem),
    clientDir: path.resolve(clientDir),
    logDir: path.resolve(config.logDir),
  };
}

function humanStatus(s: Record<string, unknown>): string {
  const lines = Object.entries(s).map(([k, v]) => `${k.padEnd(20)} ${v === null ? '-' : String(v)}`);
  if (s.tokenState === 'expired') {
    lines.push(`The CCM token expired at ${String(s.tokenExpiresAt)}: ${expiredTokenAdvice({ assignedMp: (s.assignedMp as string | null) ?? null })}.`);
  }
  return `${lines.join('\n')}\n`;
}

export function clientCommand(context: CommandContext): CommandModule {
  return {
    command: 'client',
    describe: 'the client agent: start (renew when due), run, status, roam',
    builder: (y: Argv) =>
      withExamples(y, 'client')
        .command({
          command: 'start',
          describe: 'CcmExec starting: refresh the MP location, finish a pending registration, renew the token once it is 30 days old',
          builder: (s: Argv) => withExamples(withClientOptions(s), 'client start'),
          handler: (args: ClientArgs) =>
            context.run(async () => {
              const options = agentOptions(args);
              const { action, state } = await agentStart(options);
              const messages: Record<string, string> = {
                renewed: `CCM token renewed; valid until ${state.config.token?.expiresAt ?? ''}, next renewal due ${state.config.token?.renewalDue ?? ''}.`,
                'not-due': `CCM token valid until ${state.config.token?.expiresAt ?? ''}; renewal due ${state.config.token?.renewalDue ?? ''}.`,
                registered: `Client ${state.config.smsid} is registered; CCM token valid until ${state.config.token?.expiresAt ?? ''}.`,
                'pending-approval': `Client ${state.config.smsid} still waits for approval on the site.`,
              };
              printResult(args.json, { action, ...statusOf(state, options.clientDir, options.clock.now()) }, `${messages[action]}\n`);
              return 0;
            }),
        })
        .command({
          command: 'run',
          describe: 'keep the agent running: renew on schedule until SIGINT or SIGTERM',
          builder: (s: Argv) => withExamples(withClientOptions(s), 'client run'),
          handler: (args: ClientArgs) =>
            context.run(async () => {
              const stop = new AbortController();
              process.once('SIGINT', () => stop.abort());
              process.once('SIGTERM', () => stop.abort());
              const say = (event: string) => process.stderr.write(`ccmlab client: ${escapeControl(event)}\n`);
              await agentRun(agentOptions(args, say), stop.signal, say);
              return 0;
            }),
        })
        .command({
          command: 'status',
          describe: 'SMSID, site, MPs, token expiry, next renewal, certificate thumbprints',
          builder: (s: Argv) => withExamples(withClientOptions(s), 'client status'),
          handler: (args: ClientArgs) =>
            context.run(async () => {
              // Status reads the client's own state and clock only: no names or roots are needed.
              const clientDir = clientDirOf(args);
              const status = statusOf(loadClient(clientDir), clientDir, commandClock(args.now, clientLabOf(args)).now());
              printResult(args.json, status, humanStatus(status));
              return 0;
            }),
        })
        .command({
          command: 'roam',
          describe: 'move the client to the internet (CMG, with its token) or the intranet',
          builder: (s: Argv) =>
            withExamples(withClientOptions(s), 'client roam')
              .option('internet', { type: 'boolean', describe: 'use the CMG' })
              .option('intranet', { type: 'boolean', describe: 'use the intranet MP' })
              .conflicts('internet', 'intranet'),
          handler: (args: ClientArgs & { internet?: boolean; intranet?: boolean }) =>
            context.run(async () => {
              if (!args.internet && !args.intranet) throw new CcmlabError('CCMLAB_E_USAGE', 'say where the client goes: --internet or --intranet');
              const options = agentOptions(args);
              const state = await agentRoam(options, args.internet ? 'internet' : 'intranet');
              printResult(args.json, statusOf(state, options.clientDir, options.clock.now()), `The client now uses the ${state.config.location === 'internet' ? `CMG (${state.config.internetMp ?? ''})` : `intranet MP (${state.config.assignedMp ?? ''})`}.\n`);
              return 0;
            }),
        })
        .demandCommand(1, 'name a client command: start, run, status, roam'),
    handler: () => undefined,
  };
}
