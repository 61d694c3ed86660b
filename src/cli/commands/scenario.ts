import * as path from 'node:path';
import { TOP_COMMANDS } from '../command-index';
import { CcmlabError } from '../../core/errors';
import { nearest, printable } from '../../core/text';
import { loadCatalogue, type Catalogue, type Scenario } from '../../diagnose/catalogue';
import type { ExpectationResult } from '../../diagnose/expectations';
import { runScenario, type ScenarioRun } from '../../scenarios/run-scenario';
import { commandGroup, leafCommand, type Command } from '../command-tree';
import type { CommandContext } from '../context';
import { formatTable, printResult } from '../output';
import { labOf } from '../site-options';

/** `ccmlab scenario list|run`: the catalogue of documented failures, reproduced in labs of their own. */

const RUN_OPTIONS = {
  names: { type: 'string', array: true, describe: 'scenario names' },
  all: { type: 'boolean', describe: 'every scenario' },
  out: { type: 'string', requiresArg: true, describe: 'where the labs go (default <lab>/scenarios)' },
} as const;

function pick(catalogue: Catalogue, args: { names?: string[]; all?: boolean }): Scenario[] {
  const names = args.names ?? [];
  if (args.all && names.length > 0) throw new CcmlabError('CCMLAB_E_USAGE', 'name scenarios or give --all, not both');
  if (args.all) return catalogue.scenarios;
  if (names.length === 0)
    throw new CcmlabError('CCMLAB_E_USAGE', "name a scenario ('ccmlab scenario list' shows them) or give --all");
  const known = catalogue.scenarios.map((s) => s.name);
  return [...new Set(names)].map((name) => {
    const scenario = catalogue.scenarios.find((s) => s.name === name);
    if (scenario) return scenario;
    const near = nearest(name, known);
    throw new CcmlabError(
      'CCMLAB_E_UNKNOWN_SCENARIO',
      `'${printable(name)}' is not a scenario${near ? ` (did you mean '${near}'?)` : ''}; 'ccmlab scenario list' shows them`,
    );
  });
}

/** One failed expectation as the table's note under its scenario: what was expected, why not, the nearest line. */
function expectationNote(r: ExpectationResult): string {
  const wanted = r.expect.text ?? `/${r.expect.pattern}/`;
  const seen = r.found ?? r.nearest;
  const where = seen
    ? `${r.found ? 'found' : 'nearest'}: ${path.basename(seen.file)}:${seen.line} ${printable(seen.text, 160)}`
    : 'no line of that log';
  return `    ✗ ${r.expect.log}: ${printable(wanted, 160)} — ${r.why ?? 'missing'}; ${where}`;
}

function runNotes(run: ScenarioRun): string[] {
  const steps = run.steps
    .filter((s) => !s.ok)
    .map((s) => `    ✗ step \`${s.command}\` exited ${s.exit ?? '(killed)'}, expected ${s.expectedExit}`);
  const diagnosis = run.diagnosisOk
    ? []
    : [
        `    ✗ log diagnose named ${run.diagnosedAs.length > 0 ? run.diagnosedAs.join(', ') : 'nothing'}${run.outcome === 'failure' ? `, not ${run.name}` : ' in a success'}`,
      ];
  return [...steps, ...run.expectations.filter((r) => !r.ok).map(expectationNote), ...diagnosis];
}

function human(runs: readonly ScenarioRun[]): string {
  const rows = runs.map((r) => ({
    name: r.name,
    result: r.ok ? 'pass' : 'FAIL',
    checks: `${r.expectations.filter((e) => e.ok).length}/${r.expectations.length} lines, ${r.steps.filter((s) => s.ok).length}/${r.steps.length} steps`,
    answer: r.answer.startsWith(`${process.cwd()}${path.sep}`) ? path.relative(process.cwd(), r.answer) : r.answer,
  }));
  const table = formatTable(
    [
      ['name', 'SCENARIO'],
      ['result', 'RESULT'],
      ['checks', 'CHECKS'],
      ['answer', 'ANSWER KEY'],
    ],
    rows,
  ).split('\n');
  const lines = [table[0]];
  runs.forEach((run, i) => lines.push(table[i + 1], ...runNotes(run)));
  const failed = runs.filter((r) => !r.ok).length;
  return `${lines.join('\n')}\n${runs.length - failed} passed, ${failed} failed\n`;
}

function runJson(run: ScenarioRun): Record<string, unknown> {
  return {
    ...run,
    expectations: run.expectations.map((r) => ({
      log: r.expect.log,
      text: r.expect.text ?? null,
      pattern: r.expect.pattern ?? null,
      type: r.expect.type,
      key: r.expect.key,
      ok: r.ok,
      why: r.why ?? null,
      found: r.found ?? null,
      nearest: r.nearest ?? null,
    })),
  };
}

function listCommand(context: CommandContext): Command {
  return leafCommand(context, {
    path: 'scenario list',
    describe: 'the scenarios: documented failures (and the successes they are told from)',
    noLab: 'the catalogue is the same in every lab',
    options: {},
    run: async (args) => {
      const scenarios = loadCatalogue().scenarios;
      printResult(
        args.json,
        scenarios.map((s) => ({ name: s.name, title: s.title })),
        () =>
          formatTable(
            [
              ['name', 'SCENARIO'],
              ['outcome', 'OUTCOME'],
              ['title', 'TITLE'],
            ],
            scenarios.map((s) => ({ name: s.name, outcome: s.outcome, title: s.title })),
          ),
      );
      return 0;
    },
  });
}

function runCommand(context: CommandContext): Command {
  return leafCommand(context, {
    path: 'scenario run',
    describe: 'reproduce scenarios, each in a fresh lab in <out>/<name>/, check their log lines and write ANSWER.md',
    options: RUN_OPTIONS,
    positionals: ['names'],
    run: async (args) => {
      const catalogue = loadCatalogue();
      const scenarios = pick(catalogue, args);
      const out = path.resolve(args.out ?? path.join(labOf(args).root, 'scenarios'));
      const runs: ScenarioRun[] = [];
      for (const scenario of scenarios) {
        process.stderr.write(`ccmlab: running ${scenario.name} in ${path.join(out, scenario.name)}\n`);
        runs.push(await runScenario(scenario, catalogue, out));
      }
      printResult(
        args.json,
        {
          scenarios: runs.map(runJson),
          passed: runs.filter((r) => r.ok).length,
          failed: runs.filter((r) => !r.ok).length,
        },
        () => human(runs),
      );
      return runs.every((r) => r.ok) ? 0 : 1;
    },
  });
}

export function scenarioCommand(context: CommandContext): Command {
  return commandGroup(context, {
    path: 'scenario',
    describe: TOP_COMMANDS.scenario,
    commands: [listCommand(context), runCommand(context)],
  });
}
