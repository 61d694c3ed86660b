import { asksForUsage, redactedCommandLine, type SetupCommand } from '../client/setup-command';
import { SetupLog } from '../client/setup-log';
import { systemClock, type Clock } from '../core/clock';
import { runSetup, type SetupOutcome } from '../lab/run-setup';
import { labEnvironment, NO_ENVIRONMENT } from '../world/environment';
import { labAt } from '../world/lab';
import { commandClock } from '../world/lab-clock';
import { defaultNetbiosName, parseEmulatorOptions, splitArgv, type EmulatorOptions } from './ccmsetup-options';
import { peekOption } from './peek-option';
import { ccmsetupUsage } from './ccmsetup-usage';
import { toCcmlabError } from '../core/errors';
import { runMain } from './exit';
import { versionLine } from './version';
import { AGENT_VERSION } from '../protocol/registration';

/** ccmsetup's documented return codes; anything else it reports is 6 (error). */
const CCMSETUP_RETURN_CODES = new Set([0, 6, 7, 8, 9, 10]);

function describe(command: SetupCommand, options: EmulatorOptions, logPath: string): string {
  const lines = ['Command line is valid (dry run: nothing contacted, nothing installed).'];
  lines.push(`  mode:          ${command.mode}`);
  lines.push(`  site code:     ${command.siteCode ?? '(not given)'}`);
  for (const mp of command.mp) lines.push(`  MP:            ${mp.url} (${mp.kind})`);
  if (command.cmg) lines.push(`  internet MP:   ${command.cmg.url} (role ID ${command.cmg.roleId})`);
  if (command.regToken) {
    const c = command.regToken.claims;
    const when = (s: unknown) => new Date(Number(s) * 1000).toISOString();
    lines.push(`  regtoken:      bulk registration token ${String(c.UniqueId)}, valid ${when(c.nbf)} to ${when(c.exp)} (the site judges signature and lifetime)`);
  }
  lines.push(`  computer:      ${options.netbios}`);
  for (const warning of command.warnings) lines.push(`  warning:       ${warning}`);
  lines.push(`  log:           ${logPath}`);
  return `${lines.join('\n')}\n`;
}

function describeInstall(s: { action: string; smsid: string | null; tokenExpiresAt: string | null; renewalDue: string | null; rotationLine: string | null; clientDir: string; logDir: string }): string {
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
  log.started(redactedCommandLine(setupArgs));
  log.refused(failure);
  await log.log.close();
  throw failure;
}

async function main(argv: string[]): Promise<number> {
  const { setupArgs, emulatorArgs } = splitArgv(argv);
  if (emulatorArgs.includes('--version')) {
    process.stdout.write(`${versionLine('ccmsetup')} (emulated client version ${AGENT_VERSION})\n`);
    return 0;
  }
  if (asksForUsage(setupArgs) || emulatorArgs.includes('--help')) {
    process.stdout.write(ccmsetupUsage());
    return 0;
  }
  let options: EmulatorOptions;
  let clock: Clock;
  try {
    options = parseEmulatorOptions(emulatorArgs);
    clock = commandClock(options.now, labAt(options.lab));
  } catch (error) {
    return refuseOptions(setupArgs, emulatorArgs, error);
  }
  const lab = labAt(options.lab);
  const outcome = await runSetup({
    setupArgs,
    netbios: options.netbios,
    clientDir: options.clientDir ?? lab.clientDir(options.netbios),
    logDir: options.logDir ?? lab.clientLogDir(options.netbios),
    clock,
    connectTo: options.connectTo,
    caFile: options.caFile,
    environment: options.dryRun ? NO_ENVIRONMENT : labEnvironment(lab),
    dryRun: options.dryRun,
  });
  if (outcome.kind === 'dry-run') {
    const model = { dryRun: true, ...outcome.command, netbios: options.netbios, logFile: outcome.logFile };
    process.stdout.write(options.json ? `${JSON.stringify(model, null, 2)}\n` : describe(outcome.command, options, outcome.logFile));
    return 0;
  }
  const summary = installSummary(outcome);
  process.stdout.write(options.json ? `${JSON.stringify(summary, null, 2)}\n` : describeInstall(summary));
  return 0;
}

void runMain(
  { name: 'ccmsetup', mapExitCode: (code) => (CCMSETUP_RETURN_CODES.has(code) ? code : 6) },
  () => main(process.argv.slice(2)),
);
