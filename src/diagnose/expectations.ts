import type { Expectation, Scenario } from './catalogue';
import { compileLine, nearestLine, type Bindings, type LineMatcher } from './line-match';
import { sightings, type LogLine, type Sighting } from './log-lines';

/**
 * Checking a scenario's expected lines against the logs a run left: each expectation found,
 * of its type, after the one before it in the same log; or why not, with the line nearest to
 * what was expected.
 */

export interface Evidence extends Sighting {
  file: string;
}

export type Why = 'missing' | 'wrong type' | 'out of order';

export interface ExpectationResult {
  expect: Expectation;
  ok: boolean;
  /** The line that held (or held but was of another type, or came too early). */
  found?: Evidence;
  /** For a missing line: the line of that log most like it. */
  nearest?: Evidence;
  why?: Why;
}

/** Whether a log's key (a path) is the log an expectation names: the same path or one ending in `/<log>`, any case. */
export function namesLog(key: string, log: string): boolean {
  const [k, l] = [key.replace(/\\/g, '/').toLowerCase(), log.toLowerCase()];
  return k === l || k.endsWith(`/${l}`);
}

function checkOne(
  expect: Expectation,
  matcher: LineMatcher,
  file: string,
  records: readonly LogLine[],
  cursor: number,
): ExpectationResult {
  const seen: Evidence[] = records.flatMap((r) => sightings(matcher, r).map((s) => ({ ...s, file })));
  const after = seen.filter((s) => s.line >= cursor);
  const right = after.find((s) => s.type === expect.type);
  if (right) return { expect, ok: true, found: right };
  if (after.length > 0) return { expect, ok: false, found: after[0], why: 'wrong type' };
  if (seen.length > 0) return { expect, ok: false, found: seen[0], why: 'out of order' };
  const nearest = nearestLine(expect, records);
  return {
    expect,
    ok: false,
    why: 'missing',
    ...(nearest
      ? { nearest: { file, line: nearest.line, time: nearest.time, text: nearest.message, type: nearest.type } }
      : {}),
  };
}

/**
 * One log's expectations in order in one file. Several may hold on one record (a multi-line
 * CCM_STS.log record carries the exception, ValidTo and Current time), never on an earlier one.
 */
function checkSequence(
  expects: readonly Expectation[],
  bindings: Bindings,
  file: string,
  records: readonly LogLine[],
): ExpectationResult[] {
  let cursor = 0;
  return expects.map((expect) => {
    const result = checkOne(expect, compileLine(expect, bindings), file, records, cursor);
    if (result.found && result.why !== 'out of order') cursor = result.found.line;
    return result;
  });
}

/**
 * Every expectation of a scenario against `logs` (path → its lines in file order), placeholders
 * bound to `bindings`. One result per expectation, in the scenario's order. Where several
 * files answer to one log name, that log's expectations are checked in the file where most hold.
 */
export function checkExpectations(
  scenario: Pick<Scenario, 'expect'>,
  logs: ReadonlyMap<string, readonly LogLine[]>,
  bindings: Bindings = {},
): ExpectationResult[] {
  const byLog = new Map<string, Expectation[]>();
  for (const e of scenario.expect) byLog.set(e.log.toLowerCase(), [...(byLog.get(e.log.toLowerCase()) ?? []), e]);
  const results = new Map<Expectation, ExpectationResult>();
  for (const expects of byLog.values()) {
    let best: ExpectationResult[] | undefined;
    for (const [file, records] of logs) {
      if (!namesLog(file, expects[0].log)) continue;
      const tried = checkSequence(expects, bindings, file, records);
      if (!best || tried.filter((r) => r.ok).length > best.filter((r) => r.ok).length) best = tried;
    }
    (best ?? expects.map((expect): ExpectationResult => ({ expect, ok: false, why: 'missing' }))).forEach((r) =>
      results.set(r.expect, r),
    );
  }
  return scenario.expect.map((e) => results.get(e) as ExpectationResult);
}
