import cliProgress from 'cli-progress';
import { untilStopped } from '../stop-signal';
import { TOP_COMMANDS } from '../command-index';
import { parseConnectTo } from '../../core/connect-to';
import { CcmlabError } from '../../core/errors';
import { countOf } from '../../core/text';
import type { LogsMode } from '../../fleet/enroll-client';
import { runFleetEnroll, type EnrollRequest, type EnrollSummary } from '../../fleet/enroll-fleet';
import { MAX_CLIENTS } from '../../fleet/limits';
import { makeFleetKeys, type KeysSummary } from '../../fleet/keys-fleet';
import type { ProgressSink } from '../../fleet/pool';
import { runFleetStart, type StartSummary } from '../../fleet/start-fleet';
import { fleetStatus, type StatusSummary } from '../../fleet/status-fleet';
import { boundHeapGrowth, useEveryCore } from '../../fleet/runtime';
import { commandGroup, leafCommand, type Command, type ParsedArgs } from '../command-tree';
import type { CommandContext } from '../context';
import { CA_FILE, CONNECT_TO, FLEET_DIR_OPTION } from '../options';
import { formatTable, printResult } from '../output';
import { labOf, type LabArgs } from '../site-options';

/** `ccmlab fleet enroll|keys|start|status`: parses, calls the fleet runner, prints. */

const MAX_CONCURRENCY = 256;
const LOGS_MODES = ['all', 'failures', 'none'] as const;

/** The options of the fleet commands that work on the fleet's clients; `what` is what runs at once. */
function fleetOptions(what: string) {
  return {
    'fleet-dir': FLEET_DIR_OPTION,
    concurrency: {
      type: 'string',
      default: '8',
      requiresArg: true,
      describe: `${what} at once (1 to ${MAX_CONCURRENCY})`,
    },
    logs: {
      choices: LOGS_MODES,
      default: 'all' as LogsMode,
      describe: "client logs: all kept, only a failed client's, or none written",
    },
  } as const;
}

const ENROLL_OPTIONS = {
  ...fleetOptions('enrollments'),
  count: {
    type: 'string',
    demandOption: true,
    requiresArg: true,
    describe: `clients in the fleet (1 to ${MAX_CLIENTS}); a rerun enrolls those not enrolled yet`,
  },
  regtoken: {
    type: 'string',
    requiresArg: true,
    describe: 'the bulk registration token (default: one issued by the lab site)',
  },
  'regtoken-file': { type: 'string', requiresArg: true, describe: 'read the bulk token from this file' },
  cmg: { type: 'string', requiresArg: true, describe: "NAME/CCM_Proxy_MutualAuth/<role ID> (default: the lab site's)" },
  'site-code': { type: 'string', requiresArg: true, describe: "SMSSITECODE (default: the lab site's)" },
  'connect-to': { ...CONNECT_TO, describe: 'HOST:PORT:ADDR:PORT2, as ccmsetup takes it (repeatable)' },
  'ca-file': { ...CA_FILE, describe: 'the root the clients trust, as ccmsetup takes it' },
  'name-pattern': {
    type: 'string',
    requiresArg: true,
    describe: "computer names: {n} or {n:05} the client's number (default FLEET{n:05})",
  },
  'key-cache': {
    type: 'string',
    requiresArg: true,
    describe: "take each client's keys from this cache ('fleet keys')",
  },
} as const;

const KEYS_OPTIONS = {
  count: {
    type: 'string',
    demandOption: true,
    requiresArg: true,
    describe: `clients to make keys for (1 to ${MAX_CLIENTS})`,
  },
  'key-cache': {
    type: 'string',
    demandOption: true,
    requiresArg: true,
    describe: 'the cache directory (made if new; added to if a cache)',
  },
  'one-key': { type: 'boolean', describe: 'one key pair per client for both certificates, as public tools do' },
} as const;

function wholeNumber(value: string, option: string, max: number): number {
  const n = /^\d+$/.test(value) ? Number(value) : Number.NaN;
  if (!(n >= 1 && n <= max))
    throw new CcmlabError('CCMLAB_E_BAD_OPTION', `--${option} '${value}' is not a whole number from 1 to ${max}`);
  return n;
}

/** A progress bar on stderr when it is a terminal; nothing otherwise. */
function progressBar(label: string): ProgressSink | undefined {
  if (!process.stderr.isTTY) return undefined;
  const bar = new cliProgress.SingleBar(
    {
      stream: process.stderr,
      format: `${label} |{bar}| {value}/{total}, {failed} failed, {eta_formatted} left`,
      hideCursor: true,
    },
    cliProgress.Presets.shades_classic,
  );
  return {
    start: (total) => bar.start(total, 0, { failed: 0 }),
    update: (done, failed) => bar.update(done + failed, { failed }),
    stop: () => bar.stop(),
  };
}

/** What the first SIGINT or SIGTERM does to a fleet run: no new client starts, those in work finish, the summary is printed. */
const sayStopping = (): void => {
  process.stderr.write('\nccmlab fleet: stopping: no new client starts; the clients in work finish\n');
};

function labGiven(args: LabArgs): boolean {
  return (
    (args.lab !== undefined && args.lab !== '') ||
    (process.env.CCMLAB_LAB !== undefined && process.env.CCMLAB_LAB !== '')
  );
}

function latencyTable(summary: EnrollSummary): string {
  const rows = Object.entries(summary.latencyMs).flatMap(([phase, p]) => (p ? [{ phase, ...p }] : []));
  return formatTable(
    [
      ['phase', 'latency (ms)'],
      ['p50', 'p50'],
      ['p95', 'p95'],
      ['p99', 'p99'],
    ],
    rows,
  ).replace(/^/gm, '  ');
}

/** The headline: what this run did, or that there was nothing left for it to do. */
function enrollHeadline(s: EnrollSummary): string {
  if (s.attempted === 0 && !s.interrupted)
    return `nothing to do: the ${countOf(s.alreadyEnrolled, 'client')} asked for were all enrolled by earlier runs`;
  const before = s.alreadyEnrolled > 0 ? ` (${s.alreadyEnrolled} enrolled by earlier runs, skipped)` : '';
  return `${s.enrolled} of ${countOf(s.attempted, 'client')} enrolled in ${s.seconds} s${before}: ${s.clientsPerSecond} clients/s, ${s.concurrency} at once, keys ${s.keys === 'cache' ? 'from the key cache' : 'made on the spot'}`;
}

function describeEnroll(s: EnrollSummary): string {
  const lines = [
    enrollHeadline(s),
    ...(s.interrupted
      ? [
          `  stopped with ${countOf(s.count - s.alreadyEnrolled - s.attempted, 'client')} not tried: run the same command again to continue`,
        ]
      : []),
    ...s.failures.map((f) => `  failed ${f.count}: ${f.code} (first ${f.first.name}: ${f.first.message})`),
    ...(s.failed > 0 ? ['  failed clients are tried again, with the same identity, by the next run'] : []),
    ...(s.enrolled > 0 ? [latencyTable(s).trimEnd()] : []),
    `  peak RSS ${s.peakRssMb} MB${s.cpuMsPerClient !== null ? `, CPU ${s.cpuMsPerClient} ms per enrolled client` : ''}`,
    `  fleet:       ${s.fleetDir} (${s.mode === 'embedded' ? 'its own embedded lab' : s.mode === 'lab' ? "the lab's running site" : 'the site of --cmg'})`,
    ...(s.clientLogs ? [`  client logs: ${s.clientLogs}`] : []),
    ...(s.siteLogs ? [`  site logs:   ${s.siteLogs}`] : []),
  ];
  return `${lines.join('\n')}\n`;
}

/** What `fleet enroll` asks of the fleet runner: its options, checked, as the runner takes them. */
function enrollRequest(args: ParsedArgs<typeof ENROLL_OPTIONS>, signal: AbortSignal): EnrollRequest {
  const count = wholeNumber(args.count, 'count', MAX_CLIENTS);
  return {
    count,
    concurrency: Math.min(count, wholeNumber(args.concurrency, 'concurrency', MAX_CONCURRENCY)),
    lab: labOf(args),
    labGiven: labGiven(args),
    fleetDir: args['fleet-dir'],
    namePattern: args['name-pattern'],
    keyCache: args['key-cache'],
    logs: args.logs,
    regToken: args.regtoken,
    regTokenFile: args['regtoken-file'],
    cmg: args.cmg,
    siteCode: args['site-code'],
    connectTo: (args['connect-to'] ?? []).map(parseConnectTo),
    caFile: args['ca-file'],
    now: args.now,
    progress: progressBar('fleet enroll'),
    signal,
  };
}

function enrollCommand(context: CommandContext): Command {
  return leafCommand(context, {
    path: 'fleet enroll',
    describe:
      "enroll many clients through ccmsetup's own path, resumable: into a lab's running site, any site (--regtoken, --cmg), or an embedded lab",
    options: ENROLL_OPTIONS,
    conflicts: [['regtoken', 'regtoken-file']],
    run: async (args) => {
      useEveryCore();
      boundHeapGrowth();
      const summary = await untilStopped((signal) => runFleetEnroll(enrollRequest(args, signal)), sayStopping);
      printResult(args.json, summary, () => describeEnroll(summary));
      return summary.failed === 0 && !summary.interrupted ? 0 : 1;
    },
  });
}

function describeKeys(s: KeysSummary): string {
  const per =
    s.keysPerClient === 1
      ? 'one key pair each (signing and encryption share it)'
      : 'two key pairs each (signing, encryption)';
  return `Made keys for ${countOf(s.made, 'client')} in ${s.seconds} s (${s.keyPairsPerSecond} RSA-2048 key pairs/s on ${s.threads} threads), ${per}${s.interrupted ? '; stopped early' : ''}\n  ${s.keyCache}: keys for ${countOf(s.ready, 'client')} ready\n`;
}

function keysCommand(context: CommandContext): Command {
  return leafCommand(context, {
    path: 'fleet keys',
    describe: "pre-generate clients' RSA-2048 keys into a key cache, on every core, for 'fleet enroll --key-cache'",
    options: KEYS_OPTIONS,
    run: async (args) => {
      const threads = useEveryCore();
      const count = wholeNumber(args.count, 'count', MAX_CLIENTS);
      const summary = await untilStopped(
        (signal) =>
          makeFleetKeys({
            keyCache: args['key-cache'],
            count,
            oneKey: args['one-key'] === true,
            threads,
            progress: progressBar('fleet keys'),
            signal,
          }),
        sayStopping,
      );
      printResult(args.json, summary, () => describeKeys(summary));
      return summary.interrupted ? 1 : 0;
    },
  });
}

function describeStart(s: StartSummary): string {
  const outcomes = Object.entries(s.outcomes)
    .map(([action, n]) => `${n} ${action}`)
    .join(', ');
  const lines = [
    `Agent started on ${countOf(s.started, 'client')} at ${s.at} in ${s.seconds} s: ${outcomes}, ${s.failed} failed`,
    ...s.failures.map((f) => `  failed ${f.count}: ${f.code} (first ${f.first.name}: ${f.first.message})`),
    ...(s.notEnrolled > 0
      ? [`  ${countOf(s.notEnrolled, 'client dir')} with no enrolled client: run 'fleet enroll' again`]
      : []),
    ...(s.interrupted ? ['  stopped before every client was started'] : []),
  ];
  return `${lines.join('\n')}\n`;
}

function startCommand(context: CommandContext): Command {
  return leafCommand(context, {
    path: 'fleet start',
    describe:
      "CcmExec starting on every client of the fleet: location refresh, renewal once a token is 30 days old (the lab's clock or --now)",
    options: fleetOptions('clients'),
    run: async (args) => {
      boundHeapGrowth();
      const concurrency = wholeNumber(args.concurrency, 'concurrency', MAX_CONCURRENCY);
      const summary = await untilStopped(
        (signal) =>
          runFleetStart({
            lab: labOf(args),
            fleetDir: args['fleet-dir'],
            concurrency,
            logs: args.logs,
            now: args.now,
            signal,
          }),
        sayStopping,
      );
      printResult(args.json, summary, () => describeStart(summary));
      return summary.failed === 0 && !summary.interrupted ? 0 : 1;
    },
  });
}

function describeStatus(s: StatusSummary): string {
  const { registration: r, tokens: t } = s;
  return [
    `${countOf(s.clients, 'client')} in ${s.fleetDir} at ${s.at}`,
    `  registration: ${r.registered} registered, ${r.pending} pending, ${r.unassigned} unassigned, ${s.notEnrolled} not enrolled${s.damaged > 0 ? `, ${s.damaged} damaged` : ''}`,
    `  CCM tokens:   ${t.valid} valid, ${t['renewal-due']} renewal due ('ccmlab fleet start' renews them), ${t.expired} expired`,
    '',
  ].join('\n');
}

function statusCommand(context: CommandContext): Command {
  return leafCommand(context, {
    path: 'fleet status',
    describe:
      "the fleet's clients by registration state and token expiry (valid, renewal due, expired), from their state alone",
    options: { 'fleet-dir': FLEET_DIR_OPTION },
    run: async (args) => {
      const summary = fleetStatus({ lab: labOf(args), fleetDir: args['fleet-dir'], now: args.now });
      printResult(args.json, summary, () => describeStatus(summary));
      return 0;
    },
  });
}

export function fleetCommand(context: CommandContext): Command {
  return commandGroup(context, {
    path: 'fleet',
    describe: TOP_COMMANDS.fleet,
    commands: [enrollCommand(context), keysCommand(context), startCommand(context), statusCommand(context)],
  });
}
