import { child, children, escapeXml, parseXml, text, type XmlNode } from './xml';

/**
 * WebDAV PROPFIND as ccmsetup uses it to look into CCM_Client folders (x64/ClientPatch, …).
 * What the product's server answers is not published, so ccmlab answers in RFC 4918's
 * minimal shape: 207 Multi-Status, one <D:response> for the resource and, at Depth 1, one
 * for each entry, each with displayname, resourcetype, getcontentlength (files) and
 * getlastmodified under one 200 propstat. Depth infinity is refused (403), as IIS does by
 * default. A reader takes any namespace prefix.
 */

export type Depth = '0' | '1' | 'infinity';

/** The Depth header: absent means infinity (RFC 4918 9.1); undefined for a value that is none of the three. */
export function parseDepth(header: string | undefined): Depth | undefined {
  if (header === undefined) return 'infinity';
  const value = header.trim().toLowerCase();
  return value === '0' || value === '1' || value === 'infinity' ? value : undefined;
}

export interface DavEntry {
  /** path-absolute, percent-encoded; a collection's ends with '/'. */
  href: string;
  name: string;
  collection: boolean;
  /** Files only. */
  size?: number;
  lastModified: Date;
}

/** The body a client sends: every property (RFC 4918 9.1 allprop). */
export const PROPFIND_ALLPROP =
  '<?xml version="1.0" encoding="utf-8"?><D:propfind xmlns:D="DAV:"><D:allprop/></D:propfind>';

function responseXml(entry: DavEntry): string {
  const props = [
    `<D:displayname>${escapeXml(entry.name)}</D:displayname>`,
    entry.collection ? '<D:resourcetype><D:collection/></D:resourcetype>' : '<D:resourcetype/>',
    ...(entry.size === undefined ? [] : [`<D:getcontentlength>${entry.size}</D:getcontentlength>`]),
    `<D:getlastmodified>${entry.lastModified.toUTCString()}</D:getlastmodified>`,
  ];
  return (
    `<D:response><D:href>${escapeXml(entry.href)}</D:href>` +
    `<D:propstat><D:prop>${props.join('')}</D:prop><D:status>HTTP/1.1 200 OK</D:status></D:propstat></D:response>`
  );
}

export function buildMultistatus(entries: readonly DavEntry[]): string {
  return `<?xml version="1.0" encoding="utf-8"?><D:multistatus xmlns:D="DAV:">${entries.map(responseXml).join('')}</D:multistatus>`;
}

export type MultistatusResult =
  { ok: true; entries: Array<Omit<DavEntry, 'lastModified' | 'name'>> } | { ok: false; defect: string };

export const MAX_MULTISTATUS_CHARS = 4 * 1024 * 1024;

function entryOf(response: XmlNode): Omit<DavEntry, 'lastModified' | 'name'> | undefined {
  const href = text(child(response, 'href'));
  const prop = child(child(response, 'propstat'), 'prop');
  if (href === undefined || prop === undefined) return undefined;
  const resourceType = child(prop, 'resourcetype');
  const length = text(child(prop, 'getcontentlength'));
  const collection = resourceType !== undefined && resourceType.collection !== undefined;
  return {
    href: href.trim(),
    collection,
    ...(length !== undefined && /^\s*\d{1,15}\s*$/.test(length) ? { size: Number(length) } : {}),
  };
}

/** The hrefs of a 207 answer, and whether each is a collection; entries without an href or a prop are left out. */
export function parseMultistatus(body: string): MultistatusResult {
  const parsed = parseXml(body, 'the PROPFIND answer', MAX_MULTISTATUS_CHARS, { stripPrefixes: true });
  if (!parsed.ok) return parsed;
  const root = child(parsed.doc, 'multistatus');
  if (root === undefined) return { ok: false, defect: 'the PROPFIND answer is not a multistatus document' };
  const entries = children(root, 'response').flatMap((r) => entryOf(r) ?? []);
  return { ok: true, entries };
}
