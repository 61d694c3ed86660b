import { TOP_COMMANDS } from '../command-index';
import { CcmlabError } from '../../core/errors';
import { MAX_CLIENTS } from '../../fleet/limits';
import { useEveryCore } from '../../fleet/runtime';
import { FULL_COUNTS, runBench, runScale, SMOKE_COUNTS } from '../../bench/bench';
import { benchRows, type BenchReport } from '../../bench/bench-report';
import { leafCommand, type Command } from '../command-tree';
import type { CommandContext } from '../context';
import { formatTable, printResult } from '../output';

/** `npm run bench`: a benchmark, never a test (`--smoke` only shows that every part runs). */

const COLUMNS = [
  ['measurement', 'Measurement'],
  ['figure', 'Figure'],
  ['limit', 'Limit'],
  ['ratio', 'Ratio'],
  ['target', 'Target'],
  ['met', 'Met'],
] as const;

const SCALE_COLUMNS = [
  ['clients', 'Clients'],
  ['seconds', 'Seconds'],
  ['clientsPerSecond', 'Clients/s'],
  ['peakRssMb', 'Peak RSS MB'],
  ['clientCpuMs', 'Client CPU ms'],
  ['siteCpuMs', 'Site CPU ms'],
] as const;

const BENCH_OPTIONS = {
  smoke: { type: 'boolean', describe: 'tiny counts: check that every measurement runs (figures mean nothing)' },
  'key-pool': {
    type: 'string',
    describe:
      "where the fleet measurements keep their client keys between runs (default: the project's lab/bench-key-cache)",
  },
  scale: {
    type: 'string',
    describe:
      'instead: fleets of these sizes (N,N,…) with cached keys, each against a site of its own: throughput, peak RSS, CPU per client',
  },
} as const;

/** `--scale 100,1000,10000`: fleet sizes, each a whole number from 1 to MAX_CLIENTS. */
export function parseScale(value: string): number[] {
  const sizes = value.split(',').map((part) => part.trim());
  const bad = sizes.find((part) => !/^\d+$/.test(part) || Number(part) < 1 || Number(part) > MAX_CLIENTS);
  if (bad !== undefined || sizes.length > 20) {
    throw new CcmlabError(
      'CCMLAB_E_BAD_OPTION',
      `--scale '${value}' is not a list of up to 20 fleet sizes from 1 to ${MAX_CLIENTS}, separated by commas (like 100,1000,10000)`,
    );
  }
  return sizes.map(Number);
}

/** The bench makes labs of its own and runs on the system clock: a --lab or --now would be ignored, so it is refused. */
function refuseLabOptions(args: { lab?: string; now?: string }): void {
  const given = (['lab', 'now'] as const).find((name) => args[name] !== undefined);
  if (given)
    throw new CcmlabError(
      'CCMLAB_E_USAGE',
      `bench makes labs of its own, on the system clock: --${given} does nothing here (its fleets' keys: --key-pool DIR)`,
    );
}

const machineLine = (machine: Record<string, number>): string =>
  Object.entries(machine)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');

/** The table (narrow enough for a terminal), then what each measurement is; a smoke run's targets are not judged. */
function benchText(report: BenchReport, smoke: boolean): string {
  const rows = benchRows(report).map((row) => ({ ...row, met: smoke ? '' : row.met }));
  const about = rows.filter((row) => row.about).map((row) => `  ${row.measurement}: ${row.about}`);
  const note = smoke
    ? ['--smoke: every measurement ran; its counts are too small to mean anything (targets not judged)']
    : [];
  return `${[`Machine: ${machineLine(report.machine)}`, ...note, formatTable(COLUMNS, rows), 'Figure vs limit:', ...about].join('\n')}\n`;
}

export function benchCommand(context: CommandContext): Command {
  return leafCommand(context, {
    path: 'bench',
    describe: TOP_COMMANDS.bench,
    options: BENCH_OPTIONS,
    // --smoke uses a throwaway pool of its own.
    conflicts: [
      ['scale', 'smoke'],
      ['smoke', 'key-pool'],
    ],
    run: async (args) => {
      refuseLabOptions(args);
      // As fleet keys and fleet enroll: keys are made on every core (the pool takes its size when it starts).
      useEveryCore();
      const progress = (label: string) => process.stderr.write(`bench: ${label}\n`);
      if (args.scale !== undefined) {
        const scale = await runScale(parseScale(args.scale), progress, args['key-pool']);
        printResult(
          args.json,
          scale,
          () =>
            `Machine: ${machineLine(scale.machine)}\n${formatTable(
              SCALE_COLUMNS,
              scale.runs.map((run) => ({ ...run, siteCpuMs: run.siteCpuMs ?? '-' })),
            )}`,
        );
        return 0;
      }
      const report = await runBench(args.smoke ? SMOKE_COUNTS : FULL_COUNTS, progress, args['key-pool']);
      printResult(args.json, report, () => benchText(report, args.smoke === true));
      return 0;
    },
  });
}
