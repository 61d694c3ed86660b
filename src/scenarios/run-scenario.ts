import * as fs from 'node:fs';
import * as path from 'node:path';
import { CcmlabError } from '../core/errors';
import { redactTokens } from '../core/secrets';
import { printable } from '../core/text';
import { packageRoot } from '../core/package-root';
import type { Catalogue, Scenario } from '../diagnose/catalogue';
import { diagnoseLogs } from '../diagnose/diagnose';
import { checkExpectations, type ExpectationResult } from '../diagnose/expectations';
import { readLogs } from '../diagnose/log-lines';
import { writeFileAtomic } from '../store/atomic-file';
import { removeTree } from '../store/file-writes';
import { makeDirectory, readBoundedText } from '../store/files';
import { runProgram, type Program } from '../orchestration/programs';
import { answerKey, type StepOutcome } from './answer-key';
import {
  keptValue,
  parseScenarioSteps,
  splitCommandLine,
  substitute,
  type ScenarioSteps,
  type Step,
} from './scenario-steps';

/**
 * One scenario run: a fresh lab in `<out>/<name>/` (its own site, clients, clock and free
 * ports), the steps run there as real processes of ccmlab's own programs, then the logs it
 * left checked against the scenario's expected lines, diagnosed, and its answer key written.
 */

export interface ScenarioRun {
  name: string;
  title: string;
  outcome: Scenario['outcome'];
  dir: string;
  ok: boolean;
  steps: StepOutcome[];
  expectations: ExpectationResult[];
  /** What `ccmlab log diagnose` names in this run's logs. */
  diagnosedAs: string[];
  /** Whether diagnosis agrees: a failure is named as itself, a success yields no finding. */
  diagnosisOk: boolean;
  answer: string;
}

/** Marks a folder as a scenario run's, so a rerun may replace it and nothing else. */
const MARKER = '.ccmlab-scenario';
const MAX_STEPS_FILE = 64 * 1024;

/** A scenario's folder in the shipped catalogue, relative to the package: its steps and the files they keep. */
const scenarioFolder = (name: string): string => `catalogue/scenarios/${name}`;

function loadSteps(name: string): ScenarioSteps {
  const file = path.join(packageRoot(), scenarioFolder(name), 'steps.json');
  const text = readBoundedText(file, MAX_STEPS_FILE, {
    label: "scenario's steps",
    code: 'CCMLAB_E_SCENARIO',
    fix: 'restore it from the repository',
  });
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new CcmlabError(
      'CCMLAB_E_SCENARIO',
      `${file} is not JSON (${(error as Error).message}); restore it from the repository`,
    );
  }
  return parseScenarioSteps(json, file);
}

const SCENARIO_DIR = {
  label: 'scenario folder',
  code: 'CCMLAB_E_SCENARIO_DIR',
  fix: 'give an --out that can be created and written to',
} as const;

/** A fresh folder: a scenario run's own may be replaced (its site stopped first); anything else is left alone. */
async function freshDir(dir: string): Promise<void> {
  if (fs.existsSync(dir)) {
    if (!fs.existsSync(path.join(dir, MARKER))) {
      throw new CcmlabError(
        'CCMLAB_E_SCENARIO_DIR',
        `${dir} exists and is not a scenario run's folder; choose another --out, or remove it yourself`,
      );
    }
    await runProgram('ccmlab', ['site', 'stop'], dir);
    removeTree(dir, SCENARIO_DIR);
  }
  makeDirectory(dir, SCENARIO_DIR);
  writeFileAtomic(path.join(dir, MARKER), 'A ccmlab scenario run: `ccmlab scenario run` replaces this folder.\n');
}

/** Runs one step of the steps.json `file`; keeps what it names. Returns its outcome and what it printed (for the transcript). */
async function runStep(
  step: Step,
  values: Record<string, string>,
  dir: string,
  file: string,
): Promise<{ outcome: StepOutcome; transcript: string }> {
  const folder = path.posix.dirname(file);
  for (const [name, spec] of Object.entries(step.keep)) {
    if ('file' in spec)
      values[name] = readBoundedText(path.join(packageRoot(), folder, spec.file), MAX_STEPS_FILE, {
        label: "scenario's file",
        code: 'CCMLAB_E_SCENARIO',
        fix: 'restore it from the repository',
      }).trim();
  }
  if (!step.run) {
    const kept = Object.entries(step.keep).map(
      ([name, spec]) => `$${name} from ${'file' in spec ? `${folder}/${spec.file}` : 'the step before'}`,
    );
    return {
      outcome: { command: `(keeps ${kept.join(', ')})`, say: step.say, expectedExit: 0, exit: 0, ok: true },
      transcript: '',
    };
  }
  const [program, ...args] = splitCommandLine(substitute(step.run, values, file));
  const result = await runProgram(program as Program, args, dir);
  for (const [name, spec] of Object.entries(step.keep)) {
    if ('file' in spec) continue;
    const value = keptValue(spec, result.stdout);
    if (value === undefined)
      throw new CcmlabError('CCMLAB_E_SCENARIO', `${file}: '${step.run}' printed no value for $${name}`);
    values[name] = value;
  }
  const command = redactTokens(
    step.run.replace(/\$([A-Z][A-Z0-9_]*)/g, (whole, name: string) =>
      name in values && values[name].length <= 64 ? values[name] : whole,
    ),
  );
  const transcript = redactTokens(`$ ${command}\n${result.stdout}${result.stderr}[exit ${result.exit}]\n\n`);
  return {
    outcome: { command, say: step.say, expectedExit: step.exit, exit: result.exit, ok: result.exit === step.exit },
    transcript,
  };
}

async function runSteps(
  plan: ScenarioSteps,
  dir: string,
  file: string,
): Promise<{ steps: StepOutcome[]; transcript: string }> {
  const values: Record<string, string> = {};
  const steps: StepOutcome[] = [];
  let transcript = '';
  try {
    for (const step of plan.steps) {
      const ran = await runStep(step, values, dir, file);
      steps.push(ran.outcome);
      transcript += ran.transcript;
      // A step that ended otherwise leaves the lab in a state the rest was not written for.
      if (!ran.outcome.ok) break;
    }
  } finally {
    for (const step of plan.cleanup) {
      const ran = await runStep(step, values, dir, file).catch((error: Error) => ({
        outcome: undefined,
        transcript: `cleanup failed: ${printable(error.message)}\n`,
      }));
      transcript += ran.transcript;
    }
  }
  return { steps, transcript };
}

export async function runScenario(scenario: Scenario, catalogue: Catalogue, out: string): Promise<ScenarioRun> {
  const plan = loadSteps(scenario.name);
  const dir = path.resolve(out, scenario.name);
  await freshDir(dir);
  const { steps, transcript } = await runSteps(plan, dir, `${scenarioFolder(scenario.name)}/steps.json`);
  writeFileAtomic(path.join(dir, 'transcript.txt'), transcript);
  const { logs } = fs.existsSync(path.join(dir, 'logs')) ? readLogs([path.join(dir, 'logs')]) : { logs: new Map() };
  const expectations = checkExpectations(scenario, logs, plan.bindings);
  const diagnosedAs = [...new Set(diagnoseLogs(logs, catalogue).map((f) => f.id))];
  const diagnosisOk = scenario.outcome === 'success' ? diagnosedAs.length === 0 : diagnosedAs.includes(scenario.name);
  const answer = path.join(dir, 'ANSWER.md');
  writeFileAtomic(answer, answerKey({ scenario, dir, steps, expectations }));
  const ok =
    steps.length === plan.steps.length && steps.every((s) => s.ok) && expectations.every((r) => r.ok) && diagnosisOk;
  return {
    name: scenario.name,
    title: scenario.title,
    outcome: scenario.outcome,
    dir,
    ok,
    steps,
    expectations,
    diagnosedAs,
    diagnosisOk,
    answer,
  };
}
