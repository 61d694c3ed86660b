import { redactedCommandLine, type SetupCommand } from '../client/setup-command';
import { SetupLog } from '../client/setup-log';
import { systemClock, type Clock } from '../core/clock';
import { toCcmlabError } from '../core/errors';
import { runSetup, type SetupOutcome } from '../client/run-setup';
import { labEnvironment, NO_ENVIRONMENT } from '../world/environment';
import { labAt, labInUse, type Lab } from '../world/lab';
import { commandClock } from '../world/lab-clock';
import { defaultNetbiosName, parseEmulatorOptions, type EmulatorOptions } from './ccmsetup-options';
import { peekOption } from './peek-option';

/**
 * ccmsetup's work once the command line asks for more than usage or version: loaded by
 * ccmsetup-main only then, since it pulls in the client (node-forge, undici, winston).
 */

function describe(command: SetupCommand, options: EmulatorOptions, logPath: string): string {
  const lines = ['Command line is valid (dry run: nothing contacted, nothing installed).'];
  lines.push(`  mode:          ${command.mode}`);
  lines.push(`  site code:     ${command.siteCode ?? '(not given)'}`);
  for (const mp of command.mp) lines.push(`  MP:            ${mp.url} (${mp.kind})`);
  if (command.cmg) lines.push(`  internet MP:   ${command.cmg.url} (role ID ${command.cmg.roleId})`);
  if (command.regToken) {
    const c = command.regToken.claims;
    const when = (s: unknown) => new Date(Number(s) * 1000).toISOString();
    lines.push(
      `  regtoken:      bulk registration token ${String(c.UniqueId)}, valid ${when(c.nbf)} to ${when(c.exp)} (the site judges signature and lifetime)`,
    );
  }
  lines.push(`  computer:      ${options.netbios}`);
  for (const warning of command.warnings) lines.push(`  warning:       ${warning}`);
  lines.push(`  log:           ${logPath}`);
  return `${lines.join('\n')}\n`;
}

function describeInstall(s: {
  action: string;
  smsid: string | null;
  tokenExpiresAt: string | null;
  renewalDue: string | null;
  rotationLine: string | null;
  clientDir: string;
  logDir: string;
}): string {
  const lines: Record<string, string> = {
    installed: `Client ${s.smsid ?? ''} is installed and registered.`,
    'pending-approval': `Client ${s.smsid ?? ''} is installed; its registration waits for approval on the site.`,
    unassigned: `Client ${s.smsid ?? ''} is installed but not assigned to a site: its management point serves another site (see ClientLocation.log). It is unmanaged until reinstalled with the right SMSSITECODE.`,
    uninstalled: 'The client is uninstalled; its logs are kept.',
    'not-installed': `No client is installed in ${s.clientDir}; nothing to uninstall.`,
    'nothing-to-do': `A client (${s.smsid ?? ''}) is already installed; /logon: nothing to do.`,
  };
  const out = [lines[s.action]];
  if (s.tokenExpiresAt) out.push(`  CCM token valid until ${s.tokenExpiresAt}; renewal due ${s.renewalDue ?? ''}`);
  if (s.rotationLine) out.push(`  ClientLocation.log: ${s.rotationLine}`);
  out.push(`  client state: ${s.clientDir}`, `  logs:         ${s.logDir}`);
  return `${out.join('\n')}\n`;
}

function installSummary(outcome: Extract<SetupOutcome, { kind: 'install' }>) {
  const { result } = outcome;
  const config = result.state?.config;
  return {
    action: result.action,
    smsid: config?.smsid ?? null,
    siteCode: config?.siteCode ?? null,
    internetMp: config?.internetMp ?? null,
    assignedMp: config?.assignedMp ?? null,
    tokenExpiresAt: config?.token?.expiresAt ?? null,
    renewalDue: config?.token?.renewalDue ?? null,
    rotationLine: result.rotationLine ?? null,
    clientDir: outcome.clientDir,
    logDir: outcome.logDir,
  };
}

/** A refusal of the emulator's own options, logged where ccmsetup.log would have gone. */
async function refuseOptions(setupArgs: string[], emulatorArgs: string[], error: unknown): Promise<never> {
  const lab = labAt(peekOption(emulatorArgs, 'lab'));
  const log = new SetupLog(peekOption(emulatorArgs, 'log-dir') ?? lab.clientLogDir(defaultNetbiosName()), systemClock);
  const failure = toCcmlabError(error);
  log.started(redactedCommandLine(setupArgs), defaultNetbiosName());
  log.refused(failure);
  await log.log.close();
  throw failure;
}

/** ccmsetup with a command line that is not a request for usage or version: a dry run or an install. */
export async function runCcmsetup(setupArgs: string[], emulatorArgs: string[]): Promise<number> {
  let options: EmulatorOptions;
  let clock: Clock;
  // A client given --client-dir outside a named lab is a machine of no lab: no lab clock, names or roots.
  let lab: Lab | undefined;
  try {
    options = parseEmulatorOptions(emulatorArgs);
    lab = labInUse(options.lab, options.clientDir !== undefined);
    clock = commandClock(options.now, lab);
  } catch (error) {
    return refuseOptions(setupArgs, emulatorArgs, error);
  }
  const defaults = labAt(options.lab);
  const outcome = await runSetup({
    settings: { argv: setupArgs },
    netbios: options.netbios,
    clientDir: options.clientDir ?? defaults.clientDir(options.netbios),
    logDir: options.logDir ?? defaults.clientLogDir(options.netbios),
    clock,
    connectTo: options.connectTo,
    caFile: options.caFile,
    environment: options.dryRun || !lab ? NO_ENVIRONMENT : labEnvironment(lab),
    dryRun: options.dryRun,
  });
  if (outcome.kind === 'dry-run') {
    const model = { dryRun: true, ...outcome.command, netbios: options.netbios, logFile: outcome.logFile };
    process.stdout.write(
      options.json ? `${JSON.stringify(model, null, 2)}\n` : describe(outcome.command, options, outcome.logFile),
    );
    return 0;
  }
  const summary = installSummary(outcome);
  process.stdout.write(options.json ? `${JSON.stringify(summary, null, 2)}\n` : describeInstall(summary));
  return 0;
}
