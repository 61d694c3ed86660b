import * as path from 'node:path';
import cliProgress from 'cli-progress';
import type { Argv, CommandModule } from 'yargs';
import { labAt } from '../../world/lab';
import { commandClock } from '../../world/lab-clock';
import { CcmlabError, isCcmlabError } from '../../core/errors';
import { countOf } from '../../core/text';
import type { CommandContext } from '../context';
import { runArticleSetup, startEmbeddedLab } from '../../lab/embedded-lab';
import { withExamples } from '../help-examples';
import { printResult } from '../output';

/**
 * Many clients enrolling at once through the CMG with one bulk token, each with its own
 * identity, client dir and logs: load for the site and a corpus of client logs.
 */

interface FleetArgs {
  count: string;
  concurrency: string;
  'lab-dir': string;
  now?: string;
  json?: boolean;
}

const MAX_COUNT = 10_000;
const MAX_CONCURRENCY = 64;

function wholeNumber(value: string, option: string, max: number): number {
  const n = /^\d+$/.test(value) ? Number(value) : Number.NaN;
  if (!(n >= 1 && n <= max)) throw new CcmlabError('CCMLAB_E_BAD_OPTION', `--${option} '${value}' is not a whole number from 1 to ${max}`);
  return n;
}

function percentile(sorted: number[], p: number): number {
  return sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

export function fleetCommand(context: CommandContext): CommandModule<object, FleetArgs> {
  return {
    command: 'fleet',
    describe: 'enroll many clients at once through the CMG of an embedded lab (load, and a corpus of client logs)',
    builder: (y: Argv) =>
      withExamples(y, 'fleet')
        .option('count', { type: 'string', default: '20', requiresArg: true, describe: `clients to enroll (1 to ${MAX_COUNT})` })
        .option('concurrency', { type: 'string', default: '4', requiresArg: true, describe: `enrollments at once (1 to ${MAX_CONCURRENCY})` })
        .option('lab-dir', { type: 'string', default: path.join('lab', 'fleet'), requiresArg: true, describe: 'where the fleet lab goes (made afresh)' }) as unknown as Argv<FleetArgs>,
    handler: (args) =>
      context.run(async () => {
        const count = wholeNumber(String(args.count), 'count', MAX_COUNT);
        const concurrency = Math.min(count, wholeNumber(String(args.concurrency), 'concurrency', MAX_CONCURRENCY));
        const clock = commandClock(args.now, labAt(path.resolve(args['lab-dir'])));
        const lab = await startEmbeddedLab(path.resolve(args['lab-dir']), clock, 60);
        const durations: number[] = [];
        const failures: Array<{ netbios: string; code: string; message: string }> = [];
        const bar = new cliProgress.SingleBar({ stream: process.stderr, format: 'fleet |{bar}| {value}/{total} clients, {failed} failed', hideCursor: true }, cliProgress.Presets.shades_classic);
        const started = process.hrtime.bigint();
        try {
          bar.start(count, 0, { failed: 0 });
          let next = 0;
          const worker = async (): Promise<void> => {
            while (next < count) {
              const netbios = `FLEET${String(++next).padStart(5, '0')}`;
              const t0 = process.hrtime.bigint();
              try {
                await runArticleSetup(lab, netbios, clock, { retryMs: 50 });
                durations.push(Number(process.hrtime.bigint() - t0) / 1e6);
              } catch (error) {
                failures.push({ netbios, code: isCcmlabError(error) ? error.code : 'CCMLAB_E_INTERNAL', message: (error as Error).message });
              }
              bar.increment(1, { failed: failures.length });
            }
          };
          await Promise.all(Array.from({ length: concurrency }, worker));
        } finally {
          bar.stop();
          await lab.site.stop();
        }
        const seconds = Number(process.hrtime.bigint() - started) / 1e9;
        const sorted = [...durations].sort((a, b) => a - b);
        const summary = {
          count,
          concurrency,
          enrolled: durations.length,
          failed: failures.length,
          seconds: Number(seconds.toFixed(2)),
          clientsPerSecond: Number((durations.length / seconds).toFixed(2)),
          enrollMs: { p50: Math.round(percentile(sorted, 50)), p95: Math.round(percentile(sorted, 95)), max: Math.round(sorted[sorted.length - 1] ?? 0) },
          failures: failures.slice(0, 10),
          labDir: lab.dir,
          clientLogs: path.join(lab.lab.logsDir, 'clients'),
          siteLogs: lab.siteLogs,
        };
        printResult(args.json, summary, () =>
          [
            `${summary.enrolled} of ${countOf(count, 'client')} enrolled through the CMG in ${summary.seconds} s (${summary.clientsPerSecond}/s, ${concurrency} at once)`,
            `  per client: p50 ${summary.enrollMs.p50} ms, p95 ${summary.enrollMs.p95} ms, max ${summary.enrollMs.max} ms`,
            ...failures.slice(0, 10).map((f) => `  failed ${f.netbios}: ${f.code}: ${f.message}`),
            `  client logs: ${summary.clientLogs}`,
            `  site logs:   ${summary.siteLogs}`,
            '',
          ].join('\n'),
        );
        return failures.length === 0 ? 0 : 1;
      }),
  };
}
