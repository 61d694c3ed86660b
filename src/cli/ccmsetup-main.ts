import * as path from 'node:path';
import { asksForUsage, parseSetupCommand, redactedCommandLine, type SetupCommand } from '../client/setup-command';
import { install } from '../client/install';
import { SetupLog } from '../client/setup-log';
import { processClock, systemClock, type Clock } from '../core/clock';
import { defaultNetbiosName, parseEmulatorOptions, splitArgv, type EmulatorOptions } from './ccmsetup-options';
import { peekOption } from './peek-option';
import { ccmsetupUsage } from './ccmsetup-usage';
import { runMain, toCcmlabError } from './exit';
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
  // Where a refusal is logged is known before anything can be refused.
  let logDir = peekOption(emulatorArgs, 'log-dir') ?? path.join('logs', 'clients', defaultNetbiosName());
  let clock: Clock = systemClock;
  let log: SetupLog | undefined;
  const openLog = (): SetupLog => {
    if (!log) {
      log = new SetupLog(logDir, clock);
      log.started(redactedCommandLine(setupArgs));
    }
    return log;
  };
  try {
    const options = parseEmulatorOptions(emulatorArgs);
    clock = processClock(options.now);
    logDir = options.logDir ?? path.join('logs', 'clients', options.netbios);
    openLog();
    const { command, regToken } = parseSetupCommand(setupArgs);
    openLog().commandAccepted(command);
    if (!options.dryRun) {
      const clientDir = options.clientDir ?? path.join('lab', 'clients', options.netbios);
      const result = await install({ command, regToken, clientDir, logDir, netbios: options.netbios, connectTo: options.connectTo, caFile: options.caFile, clock, setupLog: openLog() });
      openLog().exiting(0);
      const config = result.state?.config;
      const summary = {
        action: result.action,
        smsid: config?.smsid ?? null,
        siteCode: config?.siteCode ?? null,
        internetMp: config?.internetMp ?? null,
        assignedMp: config?.assignedMp ?? null,
        tokenExpiresAt: config?.token?.expiresAt ?? null,
        renewalDue: config?.token?.renewalDue ?? null,
        rotationLine: result.rotationLine ?? null,
        clientDir: path.resolve(clientDir),
        logDir: path.resolve(logDir),
      };
      process.stdout.write(options.json ? `${JSON.stringify(summary, null, 2)}\n` : describeInstall(summary));
      return 0;
    }
    openLog().log.info('Dry run: the command line is valid; nothing was contacted or installed.');
    openLog().exiting(0);
    if (options.json) {
      process.stdout.write(`${JSON.stringify({ dryRun: true, ...command, netbios: options.netbios, logFile: openLog().path }, null, 2)}\n`);
    } else {
      process.stdout.write(describe(command, options, openLog().path));
    }
    return 0;
  } catch (error) {
    const failure = toCcmlabError(error);
    openLog().refused(failure);
    throw failure;
  }
}

void runMain(
  { name: 'ccmsetup', mapExitCode: (code) => (CCMSETUP_RETURN_CODES.has(code) ? code : 6) },
  () => main(process.argv.slice(2)),
);
