import * as path from 'node:path';
import { adversarialInputs, describeInput, regExpsIn, runOver, slowInputs } from './support/adversarial';
import { ROOT } from './support/paths';

/**
 * Every parser of outside text is linear: no regular expression in src/ takes time that grows
 * faster than its input on long runs of its own characters (the class of `\s*\s+`,
 * `[\s\S]*?\s*$$<`, `\s+$` and `a.*b` on `aaaa…`). A linear expression reads 40,000
 * characters in well under a millisecond and a quadratic one takes seconds, so the bound below
 * is generous both ways and says only "it ends".
 */

const N = 40_000;
const LIMIT_MS = 250;

/**
 * Expressions built at run time, each read here: what it is applied to and why that is linear.
 * A new one fails the test until it is added with its reason (or made a constant).
 */
const REVIEWED_DYNAMIC: Record<string, string> = {
  'src/core/guid.ts': 'anchored ^…$ around a fixed-length GUID',
  'src/protocol/smsid.ts': 'anchored ^…$ around a fixed-length GUID',
  'src/protocol/ccm-signature.ts': 'anchored ^…$, fixed-length fields',
  'src/log/log-files.ts': 'anchored ^…$ on a file name (at most 255 characters), the base name escaped',
  'src/diagnose/line-match.ts':
    'applied to catalogue text, or compiled from it: test/diagnose/catalogue-linear.test.ts runs every one on hostile input',
};

/** Constant expressions applied only to text that is bounded first: file, source and the bound. */
const BOUNDED_INPUT: Array<{ file: string; source: string; why: string }> = [
  {
    file: 'src/log/logger.ts',
    source: "'[^']*'|\\{[^}]*\\}|\\[[^\\]]*\\]|<[^>]*>|\\S*:\\/\\/\\S*|GUID:\\S*|\\d+",
    why: 'a message shape, of message.slice(0, 80)',
  },
  {
    file: 'src/log/logger.ts',
    source: "'[^']*'|\\{[^}]*\\}|\\[[^\\]]*\\]|<[^>]*>|GUID:\\S*|\\d+",
    why: 'a message shape, of message.slice(0, 80)',
  },
];

const { statics, dynamics } = regExpsIn(path.join(ROOT, 'src'), ROOT);
const bounded = (file: string, source: string): boolean =>
  BOUNDED_INPUT.some((b) => b.file === file && b.source === source);

test('the inventory finds the expressions (a parser change that hid them would pass vacuously)', () => {
  expect(statics.length).toBeGreaterThan(100);
  expect(statics.some((s) => s.file === 'src/log/cmtrace-parse.ts')).toBe(true);
});

test('every expression built at run time is reviewed', () => {
  const unreviewed = dynamics.filter((d) => !(d.file in REVIEWED_DYNAMIC)).map((d) => `${d.file}:${d.line} ${d.text}`);
  expect(unreviewed).toEqual([]);
});

test('every expression said to run on bounded input is still there', () => {
  const stale = BOUNDED_INPUT.filter((b) => !statics.some((s) => s.file === b.file && s.regex.source === b.source));
  expect(stale).toEqual([]);
});

test('every constant expression in src/ stays linear on long runs of its own characters', () => {
  const slow: string[] = [];
  for (const { file, line, regex } of statics) {
    if (bounded(file, regex.source)) continue;
    const found = slowInputs(adversarialInputs(regex.source, N), (input) => runOver(regex, input), LIMIT_MS);
    if (found.length > 0)
      slow.push(
        `${file}:${line} ${String(regex)} took ${Math.round(found[0].ms)} ms on ${describeInput(found[0].input)}`,
      );
  }
  expect(slow).toEqual([]);
}, 300_000);
