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
const TOKEN = new RegExp(
  `(${PLACEHOLDER.source})|(\\s*(?<![A-Za-z0-9_])>?Code\\s*=\\s*)|(\\s*([=:])\\s*)|(\\s*,)|(\\s+)|([^])`,
  'g',
);

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Letters match either case (host names and site codes are case-insensitive). */
function caseless(value: string): string {
  return [...value]
    .map((c) => (c.toLowerCase() !== c.toUpperCase() ? `[${c.toUpperCase()}${c.toLowerCase()}]` : escapeRegExp(c)))
    .join('');
}

function placeholderSource(name: PlaceholderName, bindings: Bindings): string {
  const bound = name === 'cmg' || name === 'roleId' || name === 'siteCode' ? bindings[name] : undefined;
  return bound === undefined ? `(?:${PLACEHOLDERS[name]})` : caseless(bound);
}

/** Placeholder names in `text` that are not placeholders ccmlab knows (`{cmgName}`), for the catalogue's checks. */
export function unknownPlaceholders(text: string): string[] {
  return [...text.matchAll(ANY_BRACED_NAME)].map((m) => m[1]).filter((name) => !(name in PLACEHOLDERS));
}

/**
 * A compiled text line is a list of parts. Whitespace is its own part so that neighbours merge
 * (`\s*\s+` never appears) and so that it can give way next to `{*}`.
 */
type Part =
  { kind: 'space'; required: boolean } | { kind: 'any' } | { kind: 'source'; source: string; literal?: string };

const space = (required: boolean): Part => ({ kind: 'space', required });
const literal = (text: string): Part => ({ kind: 'source', source: escapeRegExp(text), literal: text });

function tokenParts(m: RegExpMatchArray, bindings: Bindings): Part[] {
  const [, placeholder, name, code, separator, sign, comma, , text] = m;
  if (text !== undefined) return [literal(text)];
  if (placeholder !== undefined)
    return name === '*'
      ? [{ kind: 'any' }]
      : [{ kind: 'source', source: placeholderSource(name as PlaceholderName, bindings) }];
  if (code !== undefined)
    return [space(false), { kind: 'source', source: '>?Code' }, space(false), literal('='), space(false)];
  if (separator !== undefined) return [space(false), literal(sign), space(false)];
  if (comma !== undefined) return [space(false), literal(',')];
  return [space(true)];
}

/**
 * Parts made safe for a backtracking engine: runs of whitespace parts become one (required if
 * any is); next to `{*}` (any text within the line) whitespace gives way to it — a required run
 * becomes one whitespace character, an optional one nothing — since `{*}` takes the rest; `{*}`
 * at either end, or twice in a row, is once or not at all.
 */
function normalise(parts: readonly Part[]): Part[] {
  const merged: Part[] = [];
  for (const part of parts) {
    const last = merged[merged.length - 1];
    if (part.kind === 'space' && last?.kind === 'space')
      merged[merged.length - 1] = space(last.required || part.required);
    else if (part.kind === 'any' && last?.kind === 'any') continue;
    else merged.push(part);
  }
  const out: Part[] = [];
  merged.forEach((part, i) => {
    const nextToAny = merged[i - 1]?.kind === 'any' || merged[i + 1]?.kind === 'any';
    if (part.kind === 'space' && nextToAny) {
      if (part.required) out.push({ kind: 'source', source: '\\s' });
    } else if (part.kind !== 'any' || (i > 0 && i < merged.length - 1)) {
      out.push(part);
    }
  });
  return out;
}

const partSource = (part: Part): string =>
  part.kind === 'space' ? (part.required ? '\\s+' : '\\s*') : part.kind === 'source' ? part.source : '';

/** Literal text as tolerant expressions, one per stretch between `{*}`s, and its longest verbatim run (a cheap test first). */
function compileText(text: string, bindings: Bindings): { segments: string[]; anchor: string } {
  const parts = normalise([...text.trim().matchAll(TOKEN)].flatMap((m) => tokenParts(m, bindings)));
  const segments = [''];
  let [run, anchor] = ['', ''];
  for (const part of parts) {
    if (part.kind === 'source' && part.literal !== undefined) {
      run += part.literal;
    } else {
      if (run.length > anchor.length) anchor = run;
      run = '';
    }
    if (part.kind === 'any') segments.push('');
    else segments[segments.length - 1] += partSource(part);
  }
  if (run.length > anchor.length) anchor = run;
  return { segments, anchor };
}

/** A pattern with its placeholders replaced (a `{n}` that is a quantifier, `x{2}`, is left alone). */
function compilePattern(pattern: string, bindings: Bindings): string {
  return pattern.replace(new RegExp(PLACEHOLDER.source, 'g'), (_m, name: PlaceholderName) =>
    placeholderSource(name, bindings),
  );
}

/** The first match of one expression at or after a place, remembered: a later search from a place before it is answered without searching. */
class Search {
  private from = -1;
  private index = -1;
  private end = -1;

  constructor(private readonly regex: RegExp) {}

  reset(): void {
    this.from = -1;
  }

  at(text: string, from: number): { index: number; end: number } {
    const known = this.from >= 0 && from >= this.from && (this.index < 0 || this.index >= from);
    if (!known) {
      this.regex.lastIndex = from;
      const m = this.regex.exec(text);
      [this.from, this.index, this.end] = [from, m ? m.index : -1, m ? m.index + m[0].length : -1];
    }
    return { index: this.index, end: this.end };
  }
}

/**
 * Stretches joined by `{*}` (any text within one line, as little as will do), matched one after
 * the other: the first stretch where it is found, then each next one at its first place after
 * the one before, on the same line. Each expression searches forward from where it last
 * stopped, so a line of many starts and no end is read a bounded number of times, where one
 * expression with `[^\r\n]*?` would read the rest of the line again from every start.
 */
function chainMatcher(segments: readonly string[], anchor: string): LineMatcher {
  const searches = segments.map((source) => new Search(new RegExp(source, 'g')));
  const lineBreak = new Search(/[\r\n]/g);
  let last: string | undefined;
  return {
    find(message, from = 0) {
      if (anchor && !message.includes(anchor, from)) return undefined;
      if (message !== last) [...searches, lineBreak].forEach((s) => s.reset());
      last = message;
      for (let start = from; start <= message.length;) {
        const first = searches[0].at(message, start);
        if (first.index < 0) return undefined;
        let end = first.end;
        for (let k = 1; k < searches.length && end >= 0; k++) {
          const next = searches[k].at(message, end);
          const breakAt = lineBreak.at(message, end).index;
          end = next.index >= 0 && (breakAt < 0 || next.index <= breakAt) ? next.end : -1;
        }
        if (end >= 0) return { index: first.index, length: end - first.index };
        start = first.index + 1;
      }
      return undefined;
    },
  };
}

export function compileLine(spec: LineSpec, bindings: Bindings = {}): LineMatcher {
  if (spec.text !== undefined) {
    const { segments, anchor } = compileText(spec.text, bindings);
    return chainMatcher(segments, anchor);
  }
  const regex = new RegExp(compilePattern(spec.pattern, bindings), 'gm');
  return {
    find(message, from = 0) {
      regex.lastIndex = from;
      const m = regex.exec(message);
      return m ? { index: m.index, length: m[0].length } : undefined;
    },
  };
}

/**
 * Where a placeholder may not stand: first (the search would try it at every character of a
 * long run of its own characters), or right after `{*}` (each place `{*}` could end would read
 * the run again). Text before it bounds where a search starts.
 */
function placementDefect(text: string): string | undefined {
  const tokens = [...text.trim().matchAll(TOKEN)];
  const name = (i: number): string | undefined => tokens[i]?.[2];
  if (name(0) !== undefined) return `starts with the placeholder {${name(0)}}; start the line with its words`;
  const i = tokens.findIndex((_t, k) => name(k) === '*' && name(k + 1) !== undefined && name(k + 1) !== '*');
  return i >= 0 ? `has {${name(i + 1)}} right after {*}; put the words between them` : undefined;
}

/** Why a spec cannot be compiled (a bad regular expression, an unknown placeholder), or undefined. */
export function lineSpecDefect(spec: LineSpec): string | undefined {
  const unknown = unknownPlaceholders(spec.text ?? '');
  if (unknown.length > 0)
    return `unknown placeholder {${unknown[0]}} (known: ${Object.keys(PLACEHOLDERS)
      .map((p) => `{${p}}`)
      .join(', ')})`;
  if (spec.pattern === undefined) return placementDefect(spec.text);

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
  return words(compilePattern(spec.pattern, {}).replace(/\\[a-zA-Z]|\[[^[\]]*\]|\{[^{}]*\}|\(\?:?/g, ' '));
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
