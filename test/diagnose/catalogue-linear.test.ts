import { loadCatalogue, type Expectation } from '../../src/diagnose/catalogue';
import { compileLine, lineSpecDefect, type Bindings } from '../../src/diagnose/line-match';
import { sightings } from '../../src/diagnose/log-lines';
import { describeInput, slowInputs } from '../support/adversarial';

/**
 * Every line the catalogue compiles (catalogue/scenarios, catalogue/signatures) stays linear on
 * what a hostile bundle could paste: long runs of spaces, tabs, letters, digits and of the
 * line's own text, cut at each of its words, with and without the rest of the line, with its
 * verbatim text (the cheap test a search makes first) after the run. Run as diagnosis runs a
 * pasted excerpt: every sighting in one bare block. A linear search reads such an input in a
 * millisecond or so and a quadratic one in seconds: the bound says only "it ends".
 */

const N = 40_000;
const LIMIT_MS = 250;

const SAMPLES: Record<string, string> = {
  '*': 'x',
  cmg: 'cmg.contoso.com',
  roleId: '72057594037927939',
  siteCode: 'PS1',
  guid: '3f2504e0-4f89-11d3-9a0c-0305e82c3301',
  n: '443',
  hex: '0A1B',
  time: '01/15/2026 10:00:00',
};

/** A message the expectation matches: its text with sample values, or its example. */
function sampleOf(expect: Expectation): string {
  if (expect.text === undefined) return expect.example ?? '';
  return expect.text.replace(/\{(\*|[A-Za-z]+)\}/g, (_m, name: string) => SAMPLES[name] ?? 'x');
}

/** Hostile messages for one sample: cut at each word, a long run, then nothing, the rest, or the sample again. */
function hostileFor(sample: string): string[] {
  const cuts = [...sample.matchAll(/[\s=:,/(<'[]/g)]
    .map((m) => m.index ?? 0)
    .filter((i, k, all) => k === 0 || i > all[k - 1] + 1);
  const runs = [' ', ' \t', 'x', '0', 'A.', '/'];
  const inputs: string[] = [];
  for (const cut of [0, ...cuts.slice(0, 10)]) {
    const [head, rest] = [sample.slice(0, cut + 1), sample.slice(cut + 1)];
    for (const unit of runs) {
      const run = unit.repeat(N / unit.length);
      inputs.push(
        `${head}${run}`,
        `${head}${run}${rest.slice(0, -1)}`,
        `${head}${run}${sample}`,
        `${head}${run}\n${rest}`,
      );
    }
    inputs.push(
      `${head.repeat(Math.ceil(N / Math.max(head.length, 1)))}${sample.slice(0, -1)}${sample.slice(-1) === ' ' ? 'x' : ''}${rest}`,
    );
  }
  inputs.push(`${sample.slice(0, -1)} `.repeat(Math.ceil(N / sample.length)));
  return inputs;
}

const catalogue = loadCatalogue();
const expectations = [
  ...catalogue.scenarios.flatMap((s) => s.expect),
  ...catalogue.signatures.flatMap((s) => s.expect),
];
const BOUND: Bindings = { cmg: 'cmg.contoso.com', roleId: '72057594037927939', siteCode: 'PS1' };

test('every line compiles, and each matches its own sample (the hostile inputs below reach its search)', () => {
  expect(expectations.length).toBeGreaterThan(60);
  for (const expect_ of expectations) {
    expect(lineSpecDefect(expect_)).toBeUndefined();
    expect([expect_, compileLine(expect_).find(sampleOf(expect_))]).toEqual([expect_, expect.anything()]);
  }
});

test.each([
  ['unbound', {}],
  ['bound to a run', BOUND],
])(
  'every catalogue line (%s) reads hostile pasted text in linear time',
  (_name, bindings: Bindings) => {
    const slow: string[] = [];
    for (const expect_ of expectations) {
      const matcher = compileLine(expect_, bindings);
      const found = slowInputs(
        hostileFor(sampleOf(expect_)),
        (message) => sightings(matcher, { message, line: 1, time: null, type: null }),
        LIMIT_MS,
      );
      if (found.length > 0)
        slow.push(
          `${expect_.text ?? expect_.pattern} took ${Math.round(found[0].ms)} ms on ${describeInput(found[0].input)}`,
        );
    }
    expect(slow).toEqual([]);
  },
  300_000,
);
