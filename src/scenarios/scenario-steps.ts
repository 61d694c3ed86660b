import { CcmlabError } from '../core/errors';
import { printable } from '../core/text';
import type { Program } from '../orchestration/programs';

/**
 * How a scenario is reproduced, kept as data in `catalogue/scenarios/NAME/steps.json`: the
 * command lines a trainer would type in a fresh lab (`ccmlab …`, `ccmsetup …`,
 * `BulkRegistrationTokenTool …`), each with the exit code it must end with, and values kept
 * from one step for the next (`$TOKEN`). Pure: parsing, substitution, splitting.
 */

const PROGRAMS: readonly Program[] = ['ccmlab', 'ccmsetup', 'BulkRegistrationTokenTool'];

/** Where a kept value comes from: a line of the step's stdout (1-based), a field of its JSON, or a file of the scenario's own folder. */
export type KeepSpec = { line: number } | { json: string } | { file: string };

export interface Step {
  run?: string;
  /** The exit code the step must end with (default 0). */
  exit: number;
  keep: Record<string, KeepSpec>;
  /** What the step does, for the answer key. */
  say?: string;
}

export interface ScenarioSteps {
  /** Values the expectations' placeholders are bound to: {cmg}, {roleId}, {siteCode}. */
  bindings: Record<string, string>;
  steps: Step[];
  /** Always run at the end, whatever happened (stopping the site). */
  cleanup: Step[];
}

const VARIABLE = /^[A-Z][A-Z0-9_]{0,31}$/;
const MAX_STEPS = 64;

function fail(file: string, what: string): never {
  throw new CcmlabError('CCMLAB_E_SCENARIO', `${file}: ${what}; fix the scenario's steps.json`);
}

function parseKeep(file: string, where: string, value: unknown): Record<string, KeepSpec> {
  if (value === undefined) return {};
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    fail(file, `${where}.keep must be an object`);
  const keep: Record<string, KeepSpec> = {};
  for (const [name, spec] of Object.entries(value as Record<string, unknown>)) {
    if (!VARIABLE.test(name)) fail(file, `${where}.keep: '${printable(name)}' is not a variable name (A-Z, 0-9, _)`);
    const s = spec as Record<string, unknown> | null;
    if (s && Number.isInteger(s.line) && (s.line as number) >= 1) keep[name] = { line: s.line as number };
    else if (s && typeof s.json === 'string') keep[name] = { json: s.json };
    else if (s && typeof s.file === 'string' && !s.file.split(/[\\/]/).includes('..')) keep[name] = { file: s.file };
    else
      fail(
        file,
        `${where}.keep.${name} must be {"line": N}, {"json": "a.b"} or {"file": "a file of the scenario's folder"}`,
      );
  }
  return keep;
}

function parseStep(file: string, where: string, value: unknown): Step {
  const s = value as Record<string, unknown> | null;
  if (!s || typeof s !== 'object' || Array.isArray(s)) fail(file, `${where} must be an object`);
  if (s.run !== undefined && (typeof s.run !== 'string' || !PROGRAMS.includes(s.run.split(' ')[0] as Program))) {
    fail(file, `${where}.run must be a command line starting with ${PROGRAMS.join(', ')}`);
  }
  if (s.exit !== undefined && (!Number.isInteger(s.exit) || (s.exit as number) < 0 || (s.exit as number) > 255))
    fail(file, `${where}.exit must be an exit code 0-255`);
  if (s.say !== undefined && typeof s.say !== 'string') fail(file, `${where}.say must be text`);
  return {
    run: s.run as string | undefined,
    exit: (s.exit as number | undefined) ?? 0,
    keep: parseKeep(file, where, s.keep),
    say: s.say as string | undefined,
  };
}

function parseStepList(file: string, name: string, value: unknown): Step[] {
  if (value === undefined && name === 'cleanup') return [];
  if (!Array.isArray(value) || value.length === 0 || value.length > MAX_STEPS)
    fail(file, `"${name}" must be a list of 1 to ${MAX_STEPS} steps`);
  return value.map((step, i) => parseStep(file, `${name}[${i}]`, step));
}

export function parseScenarioSteps(json: unknown, file: string): ScenarioSteps {
  const o = json as Record<string, unknown> | null;
  if (!o || typeof o !== 'object' || Array.isArray(o)) fail(file, 'it must hold one JSON object');
  const bindings = (o.bindings ?? {}) as Record<string, unknown>;
  if (
    typeof bindings !== 'object' ||
    Array.isArray(bindings) ||
    Object.values(bindings).some((v) => typeof v !== 'string')
  )
    fail(file, '"bindings" must map names to text');
  return {
    bindings: bindings as Record<string, string>,
    steps: parseStepList(file, 'steps', o.steps),
    cleanup: parseStepList(file, 'cleanup', o.cleanup),
  };
}

/** `$NAME` replaced by its kept value; an unknown name is an error in the scenario, not an empty string. */
export function substitute(text: string, values: Readonly<Record<string, string>>, file: string): string {
  return text.replace(/\$([A-Z][A-Z0-9_]*)/g, (_, name: string) => {
    if (!(name in values)) fail(file, `'$${name}' is used before a step keeps it`);
    return values[name];
  });
}

/** A command line split as a shell would split this simple form: spaces, and "double quotes" around a value with spaces. */
export function splitCommandLine(line: string): string[] {
  const words: string[] = [];
  for (const m of line.matchAll(/"([^"]*)"|(\S+)/g)) words.push(m[1] ?? m[2]);
  return words;
}

/** A value kept from a step's stdout. */
export function keptValue(spec: { line: number } | { json: string }, stdout: string): string | undefined {
  if ('line' in spec) return stdout.split(/\r?\n/)[spec.line - 1]?.trim() || undefined;
  let value: unknown;
  try {
    value = JSON.parse(stdout);
  } catch {
    return undefined;
  }
  for (const key of spec.json.split('.'))
    value = value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined;
  return typeof value === 'string' || typeof value === 'number' ? String(value) : undefined;
}
