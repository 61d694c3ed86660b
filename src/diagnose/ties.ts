import * as path from 'node:path';

/**
 * Tying a line one side sees (the client's 401, its TLS failure) to the line that gives the
 * reason (the site's CCM_STS.log record, the WinHTTP flag just before it): in the same file a
 * few lines apart, or else at nearly the same time, for the same client when both lines say
 * which one.
 */

export interface Placed {
  file: string;
  line: number;
  time: string | null;
  /** Client IDs (`GUID:…`, upper case) the line belongs to; empty when it does not say. */
  clients: readonly string[];
}

export interface Reason extends Placed {
  /** Whose reason it is: the scenario it is the key line of. */
  owner: string;
}

/** Lines apart within one file that still belong to one failure (a TLS block is five). */
export const NEAR_LINES = 40;
/** Time apart that still ties a client's line to the site's (the token service's clock skew allowance). */
export const NEAR_MS = 5 * 60 * 1000;

const SMSID = /GUID:([0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12})/gi;

/** The client IDs a text names, upper case, at most `max`. */
export function clientIdsIn(text: string, max = 64): string[] {
  const ids = new Set<string>();
  for (const m of text.matchAll(SMSID)) {
    if (ids.size >= max) break;
    ids.add(`GUID:${m[1].toUpperCase()}`);
  }
  return [...ids];
}

/** Files of one folder are one machine's logs: the client IDs any of them names. */
export function clientsByFolder(texts: Iterable<[file: string, text: string]>): Map<string, string[]> {
  const byFolder = new Map<string, Set<string>>();
  for (const [file, text] of texts) {
    const folder = path.dirname(file);
    const ids = byFolder.get(folder) ?? new Set<string>();
    for (const id of clientIdsIn(text)) ids.add(id);
    byFolder.set(folder, ids);
  }
  return new Map([...byFolder].map(([folder, ids]) => [folder, [...ids]]));
}

function sameClient(a: Placed, b: Placed): boolean {
  return a.clients.length === 0 || b.clients.length === 0 || a.clients.some((c) => b.clients.includes(c));
}

/**
 * The owners `seen` ties to: every owner with a reason a few lines away in the same file; else
 * the owner of the reason nearest in time within NEAR_MS (same client); else none.
 */
export function tiedOwners(seen: Placed, reasons: readonly Reason[]): string[] {
  const near = reasons.filter((r) => r.file === seen.file && Math.abs(r.line - seen.line) <= NEAR_LINES);
  if (near.length > 0) return [...new Set(near.map((r) => r.owner))];
  if (seen.time === null) return [];
  const at = Date.parse(seen.time);
  let best: { owner: string; gap: number } | undefined;
  for (const r of reasons) {
    if (r.time === null || !sameClient(seen, r)) continue;
    const gap = Math.abs(Date.parse(r.time) - at);
    if (gap <= NEAR_MS && (!best || gap < best.gap)) best = { owner: r.owner, gap };
  }
  return best ? [best.owner] : [];
}
