/**
 * Matching one expected log line against real messages. Real logs pad and re-space what the
 * docs print (`[CCMHTTP]            : WINHTTP_…`, `StatusCode= 403`), the docs carry typos
 * (`>Code=0`), and a pasted excerpt may break a record over lines, so a literal line is
 * compiled to a tolerant regular expression rather than compared as a string.
 *
 * In literal text: whitespace is optional around `=` and `:` and before `,`; any other run
 * of whitespace (spaces, tabs, CR/LF) matches any run; a `>` right before a word `Code=` is
 * optional; placeholders stand for values that vary:
 */

export const PLACEHOLDERS = {
  /** A host name (the CMG's, when bound). */
  cmg: '[A-Za-z0-9_-]+(?:\\.[A-Za-z0-9_-]+)*',
  /** An MP role ID. */
  roleId: '\\d+',
  siteCode: '[A-Za-z0-9]{3}',
  guid: '[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}',
  n: '-?\\d+',
  hex: '[0-9A-Fa-f]+',
  /** MM/dd/yyyy HH:mm:ss, as CCM_STS.log and CcmMessaging.log print times. */
  time: '\\d{1,2}/\\d{1,2}/\\d{4}\\s+\\d{1,2}:\\d{2}:\\d{2}',
  /** Any text within one line, as little as will do. */
  '*': '[^\\r\\n]*?',
} as const;

export type PlaceholderName = keyof typeof PLACEHOLDERS;

/** Values a scenario run knows; placeholders without one match any value. */
export interface Bindings {
  cmg?: string;
  roleId?: string;
  siteCode?: string;
}

/** Exactly one of: literal text with placeholders, or a JavaScript regular expression over the message (placeholders allowed). */
export type LineSpec = { text: string; pattern?: undefined } | { pattern: string; text?: undefined };

export interface LineMatch {
  index: number;
  length: number;
}

export interface LineMatcher {
  /** The first match in `message` at or after `from`. */
  find(message: string, from?: number): LineMatch | undefined;
}

const PLACEHOLDER = /\{(cmg|roleId|siteCode|guid|n|hex|time|\*)\}/;
const ANY_BRACED_NAME = /\{([A-Za-z*]+)\}/g;
const TOKEN = new RegExp(`(${PLACEHOLDER.source})|(\\s*(?<![A-Za-z0-9_])>?Code\\s*=\\s*)|(\\s*([=:])\\s*)|(\\s*,)|(\\s+)|([^])`, 'g');

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Letters match either case (host names and site codes are case-insensitive). */
function caseless(value: string): string {
  return [...value].map((c) => (c.toLowerCase() !== c.toUpperCase() ? `[${c.toUpperCase()}${c.toLowerCase()}]` : escapeRegExp(c))).join('');
}

function placeholderSource(name: PlaceholderName, bindings: Bindings): string {
  const bound = name === 'cmg' || name === 'roleId' || name === 'siteCode' ? bindings[name] : undefined;
  return bound === undefined ? `(?:${PLACEHOLDERS[name]})` : caseless(bound);
}

/** Placeholder names in `text` that are not placeholders ccmlab knows (`{cmgName}`), for the catalogue's checks. */
export function unknownPlaceholders(text: string): string[] {
  return [...text.matchAll(ANY_BRACED_NAME)].map((m) => m[1]).filter((name) => !(name in PLACEHOLDERS));
}

/** Literal text as a tolerant expression, and its longest verbatim run (a cheap test before the expression). */
function compileText(text: string, bindings: Bindings): { source: string; anchor: string } {
  let source = '';
  let run = '';
  let anchor = '';
  const endRun = (): void => {
    if (run.length > anchor.length) anchor = run;
    run = '';
  };
  for (const m of text.trim().matchAll(TOKEN)) {
    const [, placeholder, name, code, separator, sign, comma, , literal] = m;
    if (literal !== undefined) {
      source += escapeRegExp(literal);
      run += literal;
      continue;
    }
    endRun();
    if (placeholder !== undefined) source += placeholderSource(name as PlaceholderName, bindings);
    else if (code !== undefined) source += '\\s*>?Code\\s*=\\s*';
    else if (separator !== undefined) source += `\\s*${sign}\\s*`;
    else if (comma !== undefined) source += '\\s*,';
    else source += '\\s+';
  }
  endRun();
  return { source, anchor };
}

/** A pattern with its placeholders replaced (a `{n}` that is a quantifier, `x{2}`, is left alone). */
function compilePattern(pattern: string, bindings: Bindings): string {
  return pattern.replace(new RegExp(PLACEHOLDER.source, 'g'), (_m, name: PlaceholderName) => placeholderSource(name, bindings));
}

export function compileLine(spec: LineSpec, bindings: Bindings = {}): LineMatcher {
  const { source, anchor } = spec.text !== undefined ? compileText(spec.text, bindings) : { source: compilePattern(spec.pattern, bindings), anchor: '' };
  const regex = new RegExp(source, 'gm');
  return {
    find(message, from = 0) {
      if (anchor && !message.includes(anchor, from)) return undefined;
      regex.lastIndex = from;
      const m = regex.exec(message);
      return m ? { index: m.index, length: m[0].length } : undefined;
    },
  };
}

/** Why a spec cannot be compiled (a bad regular expression, an unknown placeholder), or undefined. */
export function lineSpecDefect(spec: LineSpec): string | undefined {
  const unknown = unknownPlaceholders(spec.text ?? '');
  if (unknown.length > 0) return `unknown placeholder {${unknown[0]}} (known: ${Object.keys(PLACEHOLDERS).map((p) => `{${p}}`).join(', ')})`;
  if (spec.pattern === undefined) return undefined;
  try {
    compileLine(spec);
    return undefined;
  } catch (error) {
    return `not a valid regular expression (${(error as Error).message})`;
  }
}

/* ---- The nearest line, for an expectation that did not hold ---- */

function words(text: string): Set<string> {
  return new Set((text.toLowerCase().match(/[a-z0-9_]{2,}/g) ?? []).filter((w) => !/^\d+$/.test(w)));
}

/** The words a spec asks for: its literal text without placeholders, or its pattern without escapes and classes. */
function specWords(spec: LineSpec): Set<string> {
  if (spec.text !== undefined) return words(spec.text.replace(new RegExp(PLACEHOLDER.source, 'g'), ' '));
  return words(compilePattern(spec.pattern, {}).replace(/\\[a-zA-Z]|\[[^\]]*\]|\{[^}]*\}|\(\?:?/g, ' '));
}

/** The record whose words overlap the spec's most (Jaccard), or undefined when none shares a word. */
export function nearestLine<T extends { message: string }>(spec: LineSpec, records: readonly T[]): T | undefined {
  const wanted = specWords(spec);
  let best: { record: T; score: number } | undefined;
  for (const record of records) {
    const have = words(record.message);
    let shared = 0;
    for (const w of wanted) if (have.has(w)) shared++;
    const score = shared / (wanted.size + have.size - shared || 1);
    if (shared > 0 && (!best || score > best.score)) best = { record, score };
  }
  return best?.record;
}
