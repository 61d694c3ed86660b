import * as fs from 'node:fs';
import * as path from 'node:path';
import { CcmlabError } from '../core/errors';
import { packageRoot } from '../core/package-root';
import type { CmTraceType } from '../log/cmtrace-format';
import { readBoundedText } from '../store/files';
import { compileLine, lineSpecDefect, type LineSpec } from './line-match';

/**
 * The catalogue of documented failures (and the successes they are told from), kept as data:
 * `catalogue/scenarios/NAME/scenario.json`, one folder per scenario, and
 * `catalogue/signatures/ID.json`, what several failures look like from one side (the client
 * sees the same 401 for an expired, a blocked and a foreign bulk token). Scenario runs check
 * the lines; `ccmlab log diagnose` recognises them.
 */

export type Origin = 'microsoft' | 'ccmlab';

export interface Source {
  id: string;
  title: string;
  url: string;
}

/** One expected log line: where, what (text or pattern), its record type, whose wording. */
export type Expectation = LineSpec & {
  /** The log's file name (`ccmsetup.log`), or the end of its path (`PC01/ccmsetup.log`). */
  log: string;
  /** The CMTrace type ccmlab writes; scenario runs check it, diagnosis ignores it (real excerpts vary). */
  type: CmTraceType;
  /** The line that alone is enough to report the failure: exactly one per failure scenario and signature. */
  key: boolean;
  origin: Origin;
  /** The id of the source that publishes the line (origin microsoft). */
  source?: string;
  /** A pattern's sample message, which it must match (checked when the catalogue loads). */
  example?: string;
  /**
   * False for a line a scenario run checks that is not part of the failure's signature (the
   * `/NoCRLCheck` rerun that succeeds after a CRL failure): diagnosis never cites it.
   */
  signature: boolean;
};

export interface Scenario {
  name: string;
  title: string;
  outcome: 'success' | 'failure';
  whatBroke: string;
  cause: string;
  fix: string;
  sources: Source[];
  /** In the order they must appear within each log. */
  expect: Expectation[];
}

/** What several failures look like from one side; reported only when no member's key line explains its lines. */
export interface Signature {
  id: string;
  title: string;
  cause: string;
  fix: string;
  sources: Source[];
  expect: Expectation[];
  /** The scenarios it may be. */
  explains: string[];
}

export interface Catalogue {
  scenarios: Scenario[];
  signatures: Signature[];
}

const MAX_FILE_BYTES = 256 * 1024;
const MAX_ENTRIES = 200;
const MAX_EXPECTATIONS = 64;
const MAX_TEXT = 4000;
const NAME = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;
const EXPECTATION_FIELDS = new Set([
  'log',
  'text',
  'pattern',
  'example',
  'type',
  'key',
  'origin',
  'source',
  'signature',
]);

/* ---- Validation: JSON in, typed entries out, or an error naming the file and the field ---- */

function bad(file: string, field: string, problem: string): never {
  throw new CcmlabError(
    'CCMLAB_E_CATALOGUE',
    `${file}: ${field} ${problem}; fix the file (docs/scenarios.md describes the format)`,
  );
}

type Json = Record<string, unknown>;

function object(value: unknown, file: string, field: string): Json {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) bad(file, field, 'must be a JSON object');
  return value as Json;
}

function text(obj: Json, name: string, file: string, prefix = ''): string {
  const value = obj[name];
  if (typeof value !== 'string' || value.trim() === '' || value.length > MAX_TEXT)
    bad(file, `${prefix}${name}`, `must be text of 1 to ${MAX_TEXT} characters`);
  return value;
}

function list(obj: Json, name: string, file: string, max: number): unknown[] {
  const value = obj[name];
  if (!Array.isArray(value) || value.length === 0 || value.length > max)
    bad(file, name, `must be a list of 1 to ${max} entries`);
  return value;
}

function parseSources(obj: Json, file: string): Source[] {
  const sources = list(obj, 'sources', file, 32).map((entry, i) => {
    const source = object(entry, file, `sources[${i}]`);
    const url = text(source, 'url', file, `sources[${i}].`);
    if (!/^https:\/\/\S+$/.test(url)) bad(file, `sources[${i}].url`, 'must be an https:// address');
    return {
      id: text(source, 'id', file, `sources[${i}].`),
      title: text(source, 'title', file, `sources[${i}].`),
      url,
    };
  });
  const ids = sources.map((s) => s.id);
  const twice = ids.find((id, i) => ids.indexOf(id) !== i);
  if (twice) bad(file, 'sources', `names ${twice} twice`);
  return sources;
}

/** Text, or a pattern with the sample message it must match. */
function parseLineSpec(entry: Json, file: string, field: string): LineSpec & { example?: string } {
  const hasText = entry.text !== undefined;
  if (hasText === (entry.pattern !== undefined)) bad(file, field, 'must have exactly one of text and pattern');
  if (hasText && entry.example !== undefined)
    bad(file, `${field}.example`, 'is for patterns only (a text line is its own example)');
  const spec: LineSpec = hasText
    ? { text: text(entry, 'text', file, `${field}.`) }
    : { pattern: text(entry, 'pattern', file, `${field}.`) };
  const defect = lineSpecDefect(spec);
  if (defect) bad(file, `${field}.${hasText ? 'text' : 'pattern'}`, `is wrong: ${defect}`);
  if (hasText) return spec;
  const example = text(entry, 'example', file, `${field}.`);
  if (!compileLine(spec).find(example)) bad(file, `${field}.example`, 'does not match the pattern');
  return { ...spec, example };
}

function parseExpectation(value: unknown, i: number, file: string, sourceIds: readonly string[]): Expectation {
  const field = `expect[${i}]`;
  const entry = object(value, file, field);
  const unknown = Object.keys(entry).find((k) => !EXPECTATION_FIELDS.has(k));
  if (unknown)
    bad(
      file,
      `${field}.${unknown}`,
      `is not a field of an expectation (fields: ${[...EXPECTATION_FIELDS].join(', ')})`,
    );
  const log = text(entry, 'log', file, `${field}.`);
  if (!/\.(log|lo_)$/i.test(log)) bad(file, `${field}.log`, 'must name a log file (ending .log)');
  if (!([0, 1, 2, 3] as unknown[]).includes(entry.type)) bad(file, `${field}.type`, 'must be 0, 1, 2 or 3');
  if (entry.key !== undefined && typeof entry.key !== 'boolean') bad(file, `${field}.key`, 'must be true or false');
  if (entry.signature !== undefined && typeof entry.signature !== 'boolean')
    bad(file, `${field}.signature`, 'must be true or false');
  if (entry.key === true && entry.signature === false)
    bad(file, `${field}.signature`, 'cannot be false on the key line');
  if (entry.origin !== 'microsoft' && entry.origin !== 'ccmlab')
    bad(file, `${field}.origin`, 'must be microsoft or ccmlab');
  const source = entry.source === undefined ? undefined : text(entry, 'source', file, `${field}.`);
  if (entry.origin === 'microsoft' && source === undefined)
    bad(file, `${field}.source`, "must name the line's source (origin microsoft)");
  if (source !== undefined && !sourceIds.includes(source))
    bad(file, `${field}.source`, `names ${source}, which is not in sources`);
  return {
    ...parseLineSpec(entry, file, field),
    log,
    type: entry.type as CmTraceType,
    key: entry.key === true,
    origin: entry.origin,
    signature: entry.signature !== false,
    ...(source ? { source } : {}),
  };
}

function parseExpectations(obj: Json, file: string, sources: readonly Source[], keys: 'one' | 'none'): Expectation[] {
  const ids = sources.map((s) => s.id);
  const expect = list(obj, 'expect', file, MAX_EXPECTATIONS).map((e, i) => parseExpectation(e, i, file, ids));
  const keyCount = expect.filter((e) => e.key).length;
  if (keys === 'one' && keyCount !== 1)
    bad(file, 'expect', `has ${keyCount} key lines; a failure has exactly one ("key": true)`);
  if (keys === 'none' && keyCount !== 0) bad(file, 'expect', 'has a key line; a success has none');
  return expect;
}

/** A scenario.json, validated; `name` is its folder's. */
export function parseScenario(name: string, json: unknown, file: string): Scenario {
  if (!NAME.test(name)) bad(file, 'folder name', 'must be lower-case words joined by -');
  const obj = object(json, file, 'the document');
  if (obj.outcome !== 'success' && obj.outcome !== 'failure') bad(file, 'outcome', 'must be success or failure');
  const sources = parseSources(obj, file);
  return {
    name,
    title: text(obj, 'title', file),
    outcome: obj.outcome,
    whatBroke: text(obj, 'whatBroke', file),
    cause: text(obj, 'cause', file),
    fix: text(obj, 'fix', file),
    sources,
    expect: parseExpectations(obj, file, sources, obj.outcome === 'failure' ? 'one' : 'none'),
  };
}

/** A signature file, validated against the failure scenarios it may explain. */
export function parseSignature(id: string, json: unknown, file: string, failures: readonly string[]): Signature {
  if (!NAME.test(id)) bad(file, 'file name', 'must be lower-case words joined by -');
  const obj = object(json, file, 'the document');
  const explains = list(obj, 'explains', file, MAX_ENTRIES).map((name, i) => {
    if (typeof name !== 'string' || !failures.includes(name))
      bad(file, `explains[${i}]`, `must name a failure scenario (${failures.join(', ')})`);
    return name;
  });
  const sources = parseSources(obj, file);
  return {
    id,
    title: text(obj, 'title', file),
    cause: text(obj, 'cause', file),
    fix: text(obj, 'fix', file),
    sources,
    expect: parseExpectations(obj, file, sources, 'one'),
    explains,
  };
}

/* ---- Loading: the package's catalogue/ folder ---- */

function entries(dir: string, root: string): fs.Dirent[] {
  let found: fs.Dirent[];
  try {
    found = fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    throw new CcmlabError(
      'CCMLAB_E_CATALOGUE',
      `${path.relative(root, dir)} cannot be read; the catalogue lives in the package's catalogue/ folder`,
    );
  }
  if (found.length > MAX_ENTRIES)
    throw new CcmlabError(
      'CCMLAB_E_CATALOGUE',
      `${path.relative(root, dir)} holds ${found.length} entries, more than the ${MAX_ENTRIES} ccmlab reads`,
    );
  return found.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

function readJson(file: string, root: string): unknown {
  const label = path.relative(root, file).split(path.sep).join('/');
  const raw = readBoundedText(file, MAX_FILE_BYTES, {
    label: 'catalogue file',
    code: 'CCMLAB_E_CATALOGUE',
    fix: 'restore it from the repository',
  });
  try {
    return JSON.parse(raw);
  } catch (error) {
    return bad(label, 'the document', `is not JSON (${(error as Error).message})`);
  }
}

const relative = (root: string, file: string): string => path.relative(root, file).split(path.sep).join('/');

/** The scenario names, from the folders that hold a scenario.json (sorted). */
export function scenarioNames(root: string = packageRoot()): string[] {
  const dir = path.join(root, 'catalogue', 'scenarios');
  return entries(dir, root)
    .filter((e) => e.isDirectory() && fs.existsSync(path.join(dir, e.name, 'scenario.json')))
    .map((e) => e.name);
}

/** Every scenario and signature, validated; the first bad file is an error naming it and the field. */
export function loadCatalogue(root: string = packageRoot()): Catalogue {
  const scenarios = scenarioNames(root).map((name) => {
    const file = path.join(root, 'catalogue', 'scenarios', name, 'scenario.json');
    return parseScenario(name, readJson(file, root), relative(root, file));
  });
  const failures = scenarios.filter((s) => s.outcome === 'failure').map((s) => s.name);
  const signatureDir = path.join(root, 'catalogue', 'signatures');
  const signatures = entries(signatureDir, root)
    .filter((e) => e.isFile() && e.name.endsWith('.json'))
    .map((e) => {
      const file = path.join(signatureDir, e.name);
      return parseSignature(e.name.replace(/\.json$/, ''), readJson(file, root), relative(root, file), failures);
    });
  // Findings are named by scenario or signature: one name, one meaning.
  const clash = signatures.find((s) => scenarios.some((c) => c.name === s.id));
  if (clash)
    bad(
      `catalogue/signatures/${clash.id}.json`,
      'file name',
      'is also a scenario name; name the signature after what it shows',
    );
  return { scenarios, signatures };
}
