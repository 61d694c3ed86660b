import type { Argv, CommandModule } from 'yargs';
import { FULL_COUNTS, runBench, SMOKE_COUNTS } from '../../lab/bench';
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

export function benchCommand(context: CommandContext): CommandModule<object, { json?: boolean; smoke?: boolean }> {
  return {
    command: 'bench',
    describe: 'measure key generation, startup, logging, token checks and MP requests, each against a limit measured in the same run',
    builder: (y: Argv) =>
      withExamples(y, 'bench').option('smoke', { type: 'boolean', describe: 'tiny counts: check that every measurement runs (figures mean nothing)' }) as unknown as Argv<{ json?: boolean; smoke?: boolean }>,
    handler: (args) =>
      context.run(async () => {
        const report = await runBench(args.smoke ? SMOKE_COUNTS : FULL_COUNTS, (label) => process.stderr.write(`bench: ${label}\n`));
        const machine = Object.entries(report.machine).map(([k, v]) => `${k} ${v}`).join(', ');
        printResult(args.json, report, () => `Machine: ${machine}\n${formatTable(COLUMNS, benchRows(report).map((row) => ({ ...row })))}`);
        return 0;
      }),
  };
}
