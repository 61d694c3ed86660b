import * as path from 'node:path';
import type { Scenario } from '../diagnose/catalogue';
import type { ExpectationResult } from '../diagnose/expectations';

/**
 * `ANSWER.md`, the answer key a trainer hands out after the exercise: what broke, how it was
 * reproduced, the evidence lines (log, line number, text) as this run wrote them, the cause
 * and the documented fix. Pure: the run's facts in, Markdown out.
 */

export interface StepOutcome {
  /** The command line as run, tokens redacted. */
  command: string;
  say?: string;
  expectedExit: number;
  /** null: killed (timeout). */
  exit: number | null;
  ok: boolean;
}

export interface AnswerFacts {
  scenario: Scenario;
  dir: string;
  steps: readonly StepOutcome[];
  expectations: readonly ExpectationResult[];
}

/** Markdown table cells hold one line; a pipe would end the cell. */
function cell(text: string): string {
  return text.replace(/\r?\n/g, ' ⏎ ').replace(/\|/g, '\\|');
}

function evidenceRows(facts: AnswerFacts): string[] {
  return facts.expectations.map((r) => {
    const whose = r.expect.origin === 'microsoft' ? `Microsoft (${r.expect.source ?? 'published'})` : 'ccmlab';
    const key = r.expect.key ? ' **key**' : '';
    if (!r.found || !r.ok) return `| ${cell(r.expect.log)} | — | not found in this run (${r.why ?? 'missing'}) | ${whose}${key} |`;
    return `| ${cell(path.relative(facts.dir, r.found.file))} | ${r.found.line} | \`${cell(r.found.text)}\` | ${whose}${key} |`;
  });
}

export function answerKey(facts: AnswerFacts): string {
  const { scenario } = facts;
  const steps = facts.steps.map((s, i) => `${i + 1}. \`${s.command}\`${s.say ? ` — ${s.say}` : ''} (exit ${s.exit ?? 'none: killed'}${s.ok ? '' : `, expected ${s.expectedExit}`})`);
  const sources = scenario.sources.map((s) => `- ${s.id}: ${s.title}, ${s.url}`);
  return [
    `# ${scenario.title}`,
    '',
    `Scenario \`${scenario.name}\` (${scenario.outcome}). The lab it ran in, with every client and site log, is this folder.`,
    '',
    '## What broke',
    '',
    scenario.whatBroke,
    '',
    '## How it was reproduced',
    '',
    ...steps,
    '',
    '## Evidence',
    '',
    'Lines the run wrote, in the order they appear in each log (paths relative to this folder).',
    '',
    '| Log | Line | Text | Wording |',
    '|---|---|---|---|',
    ...evidenceRows(facts),
    '',
    '## Cause',
    '',
    scenario.cause,
    '',
    '## Fix',
    '',
    scenario.fix,
    ...(sources.length > 0 ? ['', '## Sources', '', ...sources] : []),
    '',
  ].join('\n');
}
