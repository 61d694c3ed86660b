import * as fs from 'node:fs';
import * as path from 'node:path';
import * as ts from 'typescript';

/**
 * Inputs that make a backtracking regular expression slow, and the inventory of every
 * regular expression in src/, for the tests that show each one stays linear.
 *
 * A backtracking engine goes quadratic (or worse) where two unbounded pieces can share a
 * run of characters (`\s*\s+`, `.*?\s+x`), or where each start in a long run scans to its
 * end (`\s+$`, `a.*b` on `aaaa…`). So the inputs are long runs of every character the
 * expression names, and of its own literal text, each with and without what would end a
 * match, behind the expression's leading literal text (to get past `^prefix`).
 */

/** Characters worth a run: those the expression names, and those its escapes and classes stand for. */
function runCharacters(source: string): string[] {
  const named = source
    .replace(/\\[sS]/g, ' \t')
    .replace(/\\[dD]/g, '0')
    .replace(/\\[wW]/g, 'a_')
    .replace(/\\[rn]/g, '')
    .replace(/\\(.)/g, '$1');
  const extra = ' \ta0Zf-./:="<>,_;+x#%@';
  return [...new Set([...named, ...extra])].filter((c) => c !== '\n' && c !== '\r');
}

/** The expression's literal text: runs of two or more characters that stand for themselves. */
function literalRuns(source: string): string[] {
  const runs = source
    .split(/\\[a-zA-Z]|\[[^\]]*\]|[()|?*+{}^$[\]]|\{\d+(?:,\d*)?\}/)
    .map((r) => r.replace(/\\(.)/g, '$1'));
  return [...new Set(runs.filter((r) => r.length >= 2))].slice(0, 12);
}

/** What the expression must start with when it is anchored (`^Return code: `), so the run comes after it. */
function leadingLiteral(source: string): string {
  const m = /^\^?((?:[^\\[\](){}|?*+.^$]|\\[^a-zA-Z0-9])*)/.exec(source);
  const lead = (m?.[1] ?? '').replace(/\\(.)/g, '$1');
  // The last character may be quantified (`ab*`): leave it to the runs.
  return lead.length > 0 && /^[?*+{]/.test(source.slice((m?.[0] ?? '').length)) ? lead.slice(0, -1) : lead;
}

/** Long hostile strings for one expression (its source text), about `n` characters each. */
export function adversarialInputs(source: string, n: number): string[] {
  const lead = leadingLiteral(source);
  const inputs: string[] = [];
  const runsOf = (unit: string): string[] => {
    const run = unit.repeat(Math.max(1, Math.floor(n / unit.length)));
    return [run, `${run}\u0001`, `${lead}${run}`, `${lead}${run}\u0001`];
  };
  for (const c of runCharacters(source)) inputs.push(...runsOf(c));
  for (const lit of literalRuns(source)) {
    inputs.push(
      ...runsOf(lit),
      ...runsOf(`${lit} `),
      `${lit}${' '.repeat(n)}`,
      `${lit}${' '.repeat(n)}${lit}`,
      `${lead}${' '.repeat(n)}${lit}`,
    );
  }
  return inputs;
}

/** Runs `re` over `input` the way the code does: every match for a global or sticky expression, the first otherwise. */
export function runOver(re: RegExp, input: string): void {
  if (re.global) {
    re.lastIndex = 0;
    input.replace(re, '');
  } else {
    re.lastIndex = 0;
    re.exec(input);
  }
}

/** The inputs of `inputs` on which `work` takes longer than `limitMs`, each tried twice (a pause for garbage collection is not a finding). */
export function slowInputs(
  inputs: readonly string[],
  work: (input: string) => void,
  limitMs: number,
): Array<{ input: string; ms: number }> {
  const slow: Array<{ input: string; ms: number }> = [];
  for (const input of inputs) {
    let ms = Infinity;
    for (let attempt = 0; attempt < 2 && ms > limitMs; attempt++) {
      const start = process.hrtime.bigint();
      work(input);
      ms = Number(process.hrtime.bigint() - start) / 1e6;
    }
    if (ms > limitMs) slow.push({ input, ms });
  }
  return slow;
}

/** How to show a hostile input in a failure: its start and its length. */
export function describeInput(input: string): string {
  return `${JSON.stringify(input.slice(0, 40))}… (${input.length} characters)`;
}

export interface StaticRegExp {
  file: string;
  line: number;
  regex: RegExp;
}

export interface DynamicRegExp {
  file: string;
  line: number;
  /** The expression as written (`new RegExp(\`^${…}\`)`). */
  text: string;
}

function sourceFiles(dir: string): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .sort((a, b) => (a.name < b.name ? -1 : 1))
    .flatMap((e) =>
      e.isDirectory() ? sourceFiles(path.join(dir, e.name)) : e.name.endsWith('.ts') ? [path.join(dir, e.name)] : [],
    );
}

function literalRegExp(node: ts.Node): RegExp | undefined {
  if (ts.isRegularExpressionLiteral(node)) {
    const text = node.text;
    const cut = text.lastIndexOf('/');
    return new RegExp(text.slice(1, cut), text.slice(cut + 1));
  }
  return undefined;
}

/** `new RegExp(x)` or `RegExp(x)`: its arguments, when it is one. */
function regExpCall(node: ts.Node): readonly ts.Expression[] | undefined {
  if (
    (ts.isNewExpression(node) || ts.isCallExpression(node)) &&
    ts.isIdentifier(node.expression) &&
    node.expression.text === 'RegExp'
  )
    return node.arguments ?? [];
  return undefined;
}

const stringValue = (e: ts.Expression | undefined): string | undefined =>
  e && (ts.isStringLiteral(e) || ts.isNoSubstitutionTemplateLiteral(e)) ? e.text : undefined;

/** Every regular expression in the .ts files under `dir`: literals and constant `new RegExp('…')` as RegExps, the rest as written. */
export function regExpsIn(dir: string, root: string): { statics: StaticRegExp[]; dynamics: DynamicRegExp[] } {
  const statics: StaticRegExp[] = [];
  const dynamics: DynamicRegExp[] = [];
  for (const file of sourceFiles(dir)) {
    const sf = ts.createSourceFile(file, fs.readFileSync(file, 'utf8'), ts.ScriptTarget.ES2022, true);
    const rel = path.relative(root, file).split(path.sep).join('/');
    const visit = (node: ts.Node): void => {
      const at = sf.getLineAndCharacterOfPosition(node.getStart(sf)).line + 1;
      const literal = literalRegExp(node);
      if (literal) statics.push({ file: rel, line: at, regex: literal });
      const args = regExpCall(node);
      if (args) {
        const [pattern, flags] = [stringValue(args[0]), args.length > 1 ? stringValue(args[1]) : ''];
        if (pattern !== undefined && flags !== undefined)
          statics.push({ file: rel, line: at, regex: new RegExp(pattern, flags) });
        else dynamics.push({ file: rel, line: at, text: node.getText(sf).replace(/\s+/g, ' ') });
      }
      ts.forEachChild(node, visit);
    };
    visit(sf);
  }
  return { statics, dynamics };
}
