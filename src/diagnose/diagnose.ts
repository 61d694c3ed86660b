import * as path from 'node:path';
import type { SkippedFile, UnreadRest } from '../log/log-set';
import { loadCatalogue, type Catalogue, type Expectation } from './catalogue';
import type { Evidence } from './expectations';
import { compileLine, type LineMatcher } from './line-match';
import { readLogs, sightings, type LogLine } from './log-lines';
import { clientIdsIn, clientsByFolder, tiedOwners, type Reason } from './ties';

/**
 * Naming the catalogued failures a set of logs shows. A failure is reported when its key line
 * is found (any record type: real excerpts vary), citing every key line and its other lines.
 * Lines several failures share (the client's 401) are tied to the failure whose key line gives
 * their reason (the site's CCM_STS.log record); left untied, they are reported as what that
 * side can see, with the possible causes. Errors nothing explains are cited in one `unknown`.
 */

export interface FindingEvidence {
  file: string;
  line: number;
  /** ISO-8601, or null when the line has no time (bare text). */
  time: string | null;
  text: string;
}

export interface Finding {
  /** The scenario's name, a signature's id, or `unknown`. */
  id: string;
  title: string;
  cause: string;
  fix: string;
  evidence: FindingEvidence[];
  /** Evidence lines left out past the cap. */
  moreEvidence?: number;
}

/** Evidence lines cited per finding; the rest are counted. */
export const MAX_EVIDENCE = 50;
/** Characters of one evidence line shown; the rest are counted. */
export const MAX_EVIDENCE_TEXT = 2000;

const UNKNOWN = {
  id: 'unknown',
  title: 'Errors no catalogued failure explains',
  cause: 'These error records (type 3) match no signature in the catalogue (docs/scenarios.md).',
  fix: "Read them in context ('ccmlab log show PATH --type error' and the lines around them).",
};

interface Entry {
  id: string;
  title: string;
  cause: string;
  fix: string;
  expect: Expectation[];
  matchers: LineMatcher[];
  /** Signatures: the scenarios they may be. */
  explains?: string[];
}

interface Hit extends Evidence {
  entry: Entry;
  key: boolean;
}

const placeOf = (e: { file: string; line: number }): string => `${e.file}\0${e.line}`;

function entriesOf(catalogue: Catalogue): { scenarios: Entry[]; signatures: Entry[] } {
  // Lines a run checks that are not the failure's signature are never cited.
  const entry = (e: Omit<Entry, 'matchers'>): Entry => {
    const expect = e.expect.filter((x) => x.signature);
    return { ...e, expect, matchers: expect.map((x) => compileLine(x)) };
  };
  return {
    scenarios: catalogue.scenarios
      .filter((s) => s.outcome === 'failure')
      .map((s) => entry({ id: s.name, title: s.title, cause: s.cause, fix: s.fix, expect: s.expect })),
    signatures: catalogue.signatures.map((s) =>
      entry({ id: s.id, title: s.title, cause: s.cause, fix: s.fix, expect: s.expect, explains: s.explains }),
    ),
  };
}

/** Every place each entry's expectations are seen. */
function scan(logs: ReadonlyMap<string, readonly LogLine[]>, entries: readonly Entry[]): Hit[] {
  const hits: Hit[] = [];
  for (const [file, records] of logs) {
    for (const record of records) {
      for (const entry of entries) {
        entry.matchers.forEach((matcher, i) => {
          for (const s of sightings(matcher, record)) hits.push({ ...s, file, entry, key: entry.expect[i].key });
        });
      }
    }
  }
  return hits;
}

/** Findings being built: id → evidence by place, in the order findings are reported. */
class Citations {
  readonly byId = new Map<string, Map<string, Evidence>>();

  cite(id: string, evidence: Evidence): void {
    const cited = this.byId.get(id) ?? new Map<string, Evidence>();
    cited.set(placeOf(evidence), evidence);
    this.byId.set(id, cited);
  }

  has(id: string): boolean {
    return this.byId.has(id);
  }

  places(): Set<string> {
    return new Set([...this.byId.values()].flatMap((cited) => [...cited.keys()]));
  }
}

/** A signature's lines: tied to the members whose key lines give their reason, else its own finding when its key line is among the rest. */
function citeSignature(
  signature: Entry,
  hits: readonly Hit[],
  citations: Citations,
  clientsOf: (file: string) => string[],
): void {
  const reasons: Reason[] = hits
    .filter((h) => h.key && signature.explains?.includes(h.entry.id) && citations.has(h.entry.id))
    .map((h) => ({ file: h.file, line: h.line, time: h.time, clients: clientIdsIn(h.text), owner: h.entry.id }));
  const untied: Hit[] = [];
  for (const hit of hits.filter((h) => h.entry === signature)) {
    const owners = tiedOwners(
      { file: hit.file, line: hit.line, time: hit.time, clients: clientsOf(hit.file) },
      reasons,
    );
    if (owners.length === 0) untied.push(hit);
    for (const owner of owners) citations.cite(owner, hit);
  }
  if (untied.some((h) => h.key)) for (const hit of untied) citations.cite(signature.id, hit);
}

/** Places a signature speaks for, by the scenarios it explains: those lines are cited only where they tie. */
function claimedPlaces(signatureHits: readonly Hit[]): Map<string, Set<string>> {
  const claimed = new Map<string, Set<string>>();
  for (const hit of signatureHits) {
    const names = claimed.get(placeOf(hit)) ?? new Set<string>();
    for (const name of hit.entry.explains ?? []) names.add(name);
    claimed.set(placeOf(hit), names);
  }
  return claimed;
}

/**
 * Whether a scenario's supporting line sits in a folder (one client's logs) whose failure is
 * another: a generic line (`CcmSetup failed with error code …`) is cited for the failure of its
 * own client, never for another client's. A folder that holds the scenario's own key line, or
 * no key line of anything else (the site's, for a client-side failure), is fair evidence.
 */
function foldersOfOtherFailures(keyHits: readonly Hit[]): (hit: Hit) => boolean {
  const byFolder = new Map<string, Hit[]>();
  for (const k of keyHits) byFolder.set(path.dirname(k.file), [...(byFolder.get(path.dirname(k.file)) ?? []), k]);
  return (hit) => {
    const keys = byFolder.get(path.dirname(hit.file)) ?? [];
    if (keys.some((k) => k.entry.id === hit.entry.id)) return false;
    return keys.some((k) => !(k.entry.explains ?? []).includes(hit.entry.id));
  };
}

function finding(
  { id, title, cause, fix }: Pick<Finding, 'id' | 'title' | 'cause' | 'fix'>,
  cited: Iterable<Evidence>,
): Finding {
  const order = (e: Evidence): string => e.time ?? '\uffff';
  const sorted = [...cited].sort(
    (a, b) => order(a).localeCompare(order(b)) || a.file.localeCompare(b.file) || a.line - b.line,
  );
  const evidence = sorted.slice(0, MAX_EVIDENCE).map((e) => ({
    file: e.file,
    line: e.line,
    time: e.time,
    text:
      e.text.length > MAX_EVIDENCE_TEXT
        ? `${e.text.slice(0, MAX_EVIDENCE_TEXT)}…(${e.text.length - MAX_EVIDENCE_TEXT} more characters)`
        : e.text,
  }));
  return {
    id,
    title,
    cause,
    fix,
    evidence,
    ...(sorted.length > MAX_EVIDENCE ? { moreEvidence: sorted.length - MAX_EVIDENCE } : {}),
  };
}

/** The client IDs each folder's logs name, read only when a signature line needs them. */
function folderClients(logs: ReadonlyMap<string, readonly LogLine[]>): (file: string) => string[] {
  let byFolder: Map<string, string[]> | undefined;
  return (file) => {
    byFolder ??= clientsByFolder(
      [...logs].map(([f, records]): [string, string] => [f, records.map((r) => r.message).join('\n')]),
    );
    return byFolder.get(path.dirname(file)) ?? [];
  };
}

/** The findings `logs` (path → lines in file order) show, by `catalogue`. */
export function diagnoseLogs(logs: ReadonlyMap<string, readonly LogLine[]>, catalogue: Catalogue): Finding[] {
  const { scenarios, signatures } = entriesOf(catalogue);
  const hits = scan(logs, [...scenarios, ...signatures]);
  const citations = new Citations();
  for (const hit of hits) if (hit.key && scenarios.includes(hit.entry)) citations.cite(hit.entry.id, hit);
  const clientsOf = folderClients(logs);
  for (const signature of signatures) citeSignature(signature, hits, citations, clientsOf);
  const claimed = claimedPlaces(hits.filter((h) => signatures.includes(h.entry)));
  const otherFailureIn = foldersOfOtherFailures(hits.filter((h) => h.key));
  for (const hit of hits) {
    if (hit.key || !scenarios.includes(hit.entry) || !citations.has(hit.entry.id)) continue;
    if (otherFailureIn(hit)) continue;
    if (!claimed.get(placeOf(hit))?.has(hit.entry.id)) citations.cite(hit.entry.id, hit);
  }
  const cited = citations.places();
  const unexplained = [...logs].flatMap(([file, records]) =>
    records
      .filter((r) => r.type === 3 && !cited.has(placeOf({ file, line: r.line })))
      .map((r): Evidence => ({ file, line: r.line, time: r.time, text: r.message, type: r.type })),
  );
  const found = [...scenarios, ...signatures]
    .filter((e) => citations.has(e.id))
    .map((e) => finding(e, (citations.byId.get(e.id) as Map<string, Evidence>).values()));
  return unexplained.length > 0 ? [...found, finding(UNKNOWN, unexplained)] : found;
}

export interface Diagnosis {
  findings: Finding[];
  /** Files and folders under the paths that were not read, and why. */
  skipped: SkippedFile[];
  /** Log files read. */
  files: number;
  /** Files read that hold no CMTrace record: their text was searched as a pasted excerpt. */
  bare: string[];
  /** Set when the time to read ran out before every file was read: the findings are those of what was read. */
  unread?: UnreadRest;
}

/** Reads the logs under `paths` (files and folders, as `log show` does) and names what failed. */
export function diagnose(paths: readonly string[], catalogue: Catalogue = loadCatalogue()): Diagnosis {
  const { logs, skipped, unread } = readLogs(paths);
  const bare = [...logs].filter(([, lines]) => lines.every((l) => l.type === null)).map(([file]) => file);
  return { findings: diagnoseLogs(logs, catalogue), skipped, files: logs.size, bare, ...(unread ? { unread } : {}) };
}
