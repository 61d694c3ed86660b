import type { Argv, CommandModule } from 'yargs';
import { CcmlabError } from '../../core/errors';
import { MAX_CLIENTS } from '../../fleet/journal';
import { FULL_COUNTS, runBench, runScale, SMOKE_COUNTS } from '../../lab/bench';
import { benchRows } from '../../lab/bench-report';
import type { CommandContext } from '../context';
import { withExamples } from '../help-examples';
import { formatTable, printResult } from '../output';

/** `npm run bench`: a benchmark, never a test (`--smoke` only shows that every part runs). */

const COLUMNS = [
  ['measurement', 'Measurement (figure vs limit)'],
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

interface BenchArgs {
  json?: boolean;
  smoke?: boolean;
  scale?: string;
  'key-pool'?: string;
}

/** `--scale 100,1000,10000`: fleet sizes, each a whole number from 1 to MAX_CLIENTS. */
export function parseScale(value: string): number[] {
  const sizes = value.split(',').map((part) => part.trim());
  const bad = sizes.find((part) => !/^\d+$/.test(part) || Number(part) < 1 || Number(part) > MAX_CLIENTS);
  if (bad !== undefined || sizes.length > 20) {
    throw new CcmlabError('CCMLAB_E_BAD_OPTION', `--scale '${value}' is not a list of up to 20 fleet sizes from 1 to ${MAX_CLIENTS}, separated by commas (like 100,1000,10000)`);
  }
  return sizes.map(Number);
}

const machineLine = (machine: Record<string, number>): string => Object.entries(machine).map(([k, v]) => `${k} ${v}`).join(', ');

export function benchCommand(context: CommandContext): CommandModule<object, BenchArgs> {
  return {
    command: 'bench',
    describe: 'measure key generation, enrollment, startup, logging, token checks and MP requests, each against a limit measured in the same run',
    builder: (y: Argv) =>
      withExamples(y, 'bench')
        .option('smoke', { type: 'boolean', describe: 'tiny counts: check that every measurement runs (figures mean nothing)' })
        .option('key-pool', { type: 'string', describe: "where the fleet measurements keep their client keys between runs (default: the project's lab/bench-key-cache)" })
        .option('scale', { type: 'string', describe: 'instead: fleets of these sizes (N,N,…) with cached keys, each against a site of its own: throughput, peak RSS, CPU per client' })
        .conflicts('scale', 'smoke') as unknown as Argv<BenchArgs>,
    handler: (args) =>
      context.run(async () => {
        const progress = (label: string) => process.stderr.write(`bench: ${label}\n`);
        if (args.scale !== undefined) {
          const scale = await runScale(parseScale(args.scale), progress, args['key-pool']);
          printResult(args.json, scale, () => `Machine: ${machineLine(scale.machine)}\n${formatTable(SCALE_COLUMNS, scale.runs.map((run) => ({ ...run, siteCpuMs: run.siteCpuMs ?? '-' })))}`);
          return 0;
        }
        const report = await runBench(args.smoke ? SMOKE_COUNTS : FULL_COUNTS, progress, args['key-pool']);
        printResult(args.json, report, () => `Machine: ${machineLine(report.machine)}\n${formatTable(COLUMNS, benchRows(report).map((row) => ({ ...row })))}`);
        return 0;
      }),
  };
}
