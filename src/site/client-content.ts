import type * as http from 'node:http';
import * as path from 'node:path';
import { contentNames } from '../protocol/client-content-path';
import {
  contentRange,
  decideRange,
  ifRangeMatches,
  unsatisfiedRange,
  type RangeDecision,
} from '../protocol/http-range';
import { buildMultistatus, parseDepth, type DavEntry } from '../protocol/webdav';
import { parseXml } from '../protocol/xml';
import { findBelow, listDirectory, openFileRange, type TreeEntry } from '../store/tree-reads';
import { CLIENT_DIR } from './client-source';
import type { MpRequest } from './mp';
import { send, sendText, type SiteRuntime } from './site-runtime';

/**
 * CCM_Client on the MP (and through the CMG, which forwards here): the site's Client folder
 * served as IIS serves a virtual directory, from what is on disk at each request. GET and
 * HEAD with one byte range (206, or 416 past the end), streamed from disk; WebDAV PROPFIND
 * at Depth 0 or 1 (207 Multi-Status); 404 for anything missing or refused (a name that could
 * leave the folder, a symbolic link, a special file), 403 for a folder's GET and for Depth
 * infinity. IIS logs nothing of this in the product's logs, and neither does ccmlab.
 */

const METHODS = 'GET, HEAD, PROPFIND';
const MAX_PROPFIND_BODY = 64 * 1024;

function header(req: http.IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

export function serveClientContent(
  runtime: SiteRuntime,
  req: http.IncomingMessage,
  res: http.ServerResponse,
  request: MpRequest,
): void {
  const names = contentNames(request.path);
  const method = request.method;
  if (method !== 'GET' && method !== 'HEAD' && method !== 'PROPFIND') {
    res.setHeader('allow', METHODS);
    return sendText(res, 405, `CCM_Client takes ${METHODS}`);
  }
  const found = names === undefined ? undefined : findBelow(path.join(runtime.site.dir, CLIENT_DIR), names);
  if (found === undefined || found.kind === 'missing' || found.kind === 'refused')
    return sendText(
      res,
      404,
      'The resource you are looking for has been removed, had its name changed, or is temporarily unavailable.',
    );
  if (method === 'PROPFIND') return propfind(req, res, request, found, names?.length === 0);
  if (found.kind === 'directory') return sendText(res, 403, 'Directory listing is denied.');
  sendFile(req, res, found, method === 'HEAD');
}

function contentType(name: string): string {
  return name.toLowerCase().endsWith('.xml') ? 'text/xml' : 'application/octet-stream';
}

/** What to answer for a file, by its stat and the request's Range and If-Range. */
export function fileAnswer(
  stat: { size: number; mtimeMs: number },
  range: string | undefined,
  ifRange: string | undefined,
): { decision: RangeDecision; etag: string; lastModified: string } {
  const etag = `"${Math.floor(stat.mtimeMs).toString(16)}${stat.size.toString(16)}:0"`;
  const lastModified = new Date(stat.mtimeMs).toUTCString();
  return { decision: decideRange(range, stat.size, ifRangeMatches(ifRange, etag, lastModified)), etag, lastModified };
}

function sendFile(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  entry: Extract<TreeEntry, { kind: 'file' }>,
  headOnly: boolean,
): void {
  const { size } = entry.stat;
  const { decision, etag, lastModified } = fileAnswer(entry.stat, header(req, 'range'), header(req, 'if-range'));
  const common = { 'accept-ranges': 'bytes', etag, 'last-modified': lastModified };
  if (decision.kind === 'unsatisfiable')
    return send(res, { status: 416, headers: { ...common, 'content-range': unsatisfiedRange(size) } });
  const [start, end] = decision.kind === 'range' ? [decision.start, decision.end] : [0, size - 1];
  const length = end - start + 1;
  const headers = {
    ...common,
    'content-type': contentType(entry.name),
    'content-length': String(length),
    ...(decision.kind === 'range' ? { 'content-range': contentRange(start, end, size) } : {}),
  };
  const status = decision.kind === 'range' ? 206 : 200;
  if (headOnly || length === 0) {
    res.writeHead(status, headers);
    return void res.end();
  }
  const stream = openFileRange(entry, start, end);
  if (stream === undefined) return sendText(res, 404, 'The file is no longer there.');
  res.writeHead(status, headers);
  let sent = 0;
  stream.on('data', (chunk: Buffer) => (sent += chunk.length));
  // A file that shrank while it was sent cannot fill the length announced: the connection is cut, not padded.
  stream.on('end', () => (sent === length ? res.end() : res.destroy()));
  stream.on('error', () => res.destroy());
  res.on('close', () => stream.destroy());
  stream.pipe(res, { end: false });
}

function davEntry(entry: TreeEntry, href: string, name: string): DavEntry {
  return entry.kind === 'directory'
    ? { href, name, collection: true, lastModified: entry.stat.mtime }
    : { href, name, collection: false, size: entry.stat.size, lastModified: entry.stat.mtime };
}

function propfind(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  request: MpRequest,
  found: TreeEntry,
  isRoot: boolean,
): void {
  const depth = parseDepth(header(req, 'depth'));
  if (depth === undefined) return sendText(res, 400, "the Depth header is not '0', '1' or 'infinity'");
  if (depth === 'infinity')
    return send(res, {
      status: 403,
      headers: { 'content-type': 'text/xml; charset="utf-8"' },
      body: '<?xml version="1.0" encoding="utf-8"?><D:error xmlns:D="DAV:"><D:propfind-finite-depth/></D:error>',
    });
  if (request.body.length > 0 && !parseXml(request.body.toString('utf8'), 'the PROPFIND body', MAX_PROPFIND_BODY).ok)
    return sendText(res, 400, 'the PROPFIND body is not well-formed XML (or is over 64 KiB, or declares a DOCTYPE)');
  // The href the client used (the CMG's prefix included), as the base of its entries'.
  const requested = new URL(req.url ?? '/', 'http://site.invalid').pathname;
  const base = found.kind === 'directory' && !requested.endsWith('/') ? `${requested}/` : requested;
  const entries = [davEntry(found, base, isRoot ? 'CCM_Client' : found.name)];
  if (depth === '1' && found.kind === 'directory') {
    const listed = listDirectory(found.path);
    if (listed === undefined) return sendText(res, 403, 'the folder holds too many entries to list');
    for (const entry of listed) {
      const href = `${base}${encodeURIComponent(entry.name)}${entry.kind === 'directory' ? '/' : ''}`;
      entries.push(davEntry(entry, href, entry.name));
    }
  }
  send(res, {
    status: 207,
    headers: { 'content-type': 'text/xml; charset="utf-8"' },
    body: buildMultistatus(entries),
  });
}
