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

/** One row per record: several expectations may hold on one multi-line record (CCM_STS.log's exception, ValidTo, Current time). */
function evidenceRows(facts: AnswerFacts): string[] {
  const rows = new Map<string, { cells: string; wordings: Set<string>; key: boolean }>();
  facts.expectations.forEach((r, i) => {
    const whose = r.expect.origin === 'microsoft' ? `Microsoft (${r.expect.source ?? 'published'})` : 'ccmlab';
    const held = r.found && r.ok ? r.found : undefined;
    const place = held ? `${held.file}\0${held.line}` : `missing ${i}`;
    const cells = held
      ? `| ${cell(path.relative(facts.dir, held.file))} | ${held.line} | \`${cell(held.text)}\``
      : `| ${cell(r.expect.log)} | — | not found in this run (${r.why ?? 'missing'})`;
    const row = rows.get(place) ?? { cells, wordings: new Set<string>(), key: false };
    row.wordings.add(whose);
    row.key ||= r.expect.key;
    rows.set(place, row);
  });
  return [...rows.values()].map(
    (row) => `${row.cells} | ${[...row.wordings].join(', ')}${row.key ? ' **key**' : ''} |`,
  );
}

export function answerKey(facts: AnswerFacts): string {
  const { scenario } = facts;
  const steps = facts.steps.map(
    (s, i) =>
      `${i + 1}. \`${s.command}\`${s.say ? ` — ${s.say}` : ''} (exit ${s.exit ?? 'none: killed'}${s.ok ? '' : `, expected ${s.expectedExit}`})`,
  );
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
