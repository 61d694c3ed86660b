import { contentNames, contentPathOf, isClientContentPath } from '../../src/protocol/client-content-path';
import {
  contentRange,
  decideRange,
  ifRangeMatches,
  parseContentRange,
  rangeHeader,
  unsatisfiedRange,
} from '../../src/protocol/http-range';
import { buildMultistatus, parseDepth, parseMultistatus, PROPFIND_ALLPROP } from '../../src/protocol/webdav';
import { parseXml } from '../../src/protocol/xml';

describe('CCM_Client paths', () => {
  test('names below the Client folder, the prefix in any case, a trailing slash allowed', () => {
    expect(contentNames('/CCM_Client')).toEqual([]);
    expect(contentNames('/ccm_client/')).toEqual([]);
    expect(contentNames('/CCM_CLIENT/x64/ClientPatch/')).toEqual(['x64', 'ClientPatch']);
    expect(contentNames('/CCM_Client/x64/client%20copy.msi')).toEqual(['x64', 'client copy.msi']);
    expect(isClientContentPath('/CCM_ClientX')).toBe(false);
  });

  test.each([
    '/CCM_Client/..',
    '/CCM_Client/%2e%2e/site.json',
    '/CCM_Client/x64/..%2f..%2fsite.json',
    '/CCM_Client/..%5csite.json',
    '/CCM_Client/x64//client.msi',
    '/CCM_Client/C:%5cWindows',
    '/CCM_Client/client.msi::$DATA',
    '/CCM_Client/client.msi.',
    '/CCM_Client/%00',
    '/CCM_Client/%E0%A4%A',
    '/CCM_ClientX/x64',
  ])('refuses %s', (p) => {
    expect(contentNames(p)).toBeUndefined();
  });

  test("an item's path is its name below CCM_Client, encoded", () => {
    expect(contentPathOf('x64/client.msi')).toBe('/CCM_Client/x64/client.msi');
    expect(contentNames(contentPathOf('i386/a b.exe'))).toEqual(['i386', 'a b.exe']);
  });
});

describe('HTTP ranges (one per request)', () => {
  test.each<[string | undefined, number, ReturnType<typeof decideRange>]>([
    [undefined, 100, { kind: 'whole' }],
    ['bytes=0-9', 100, { kind: 'range', start: 0, end: 9 }],
    ['bytes=90-', 100, { kind: 'range', start: 90, end: 99 }],
    ['bytes=90-1000', 100, { kind: 'range', start: 90, end: 99 }],
    ['bytes=-10', 100, { kind: 'range', start: 90, end: 99 }],
    ['bytes=-1000', 100, { kind: 'range', start: 0, end: 99 }],
    ['BYTES = 5 - 6', 100, { kind: 'range', start: 5, end: 6 }],
    ['bytes=100-', 100, { kind: 'unsatisfiable' }],
    ['bytes=-0', 100, { kind: 'unsatisfiable' }],
    ['bytes=0-', 0, { kind: 'unsatisfiable' }],
    ['bytes=0-1,5-6', 100, { kind: 'whole' }],
    ['bytes=9-1', 100, { kind: 'whole' }],
    ['items=0-1', 100, { kind: 'whole' }],
    ['bytes=-', 100, { kind: 'whole' }],
  ])('Range %s of %d bytes', (header, size, expected) => {
    expect(decideRange(header, size)).toEqual(expected);
  });

  test('If-Range: a strong ETag or the exact date keeps the range, another validator sends the whole file', () => {
    const lm = 'Mon, 06 May 2024 07:08:10 GMT';
    expect(ifRangeMatches(undefined, '"a:0"', lm)).toBe(true);
    expect(ifRangeMatches('"a:0"', '"a:0"', lm)).toBe(true);
    expect(ifRangeMatches('"b:0"', '"a:0"', lm)).toBe(false);
    expect(ifRangeMatches(lm, '"a:0"', lm)).toBe(true);
    expect(decideRange('bytes=0-1', 10, false)).toEqual({ kind: 'whole' });
  });

  test('Content-Range written and read back; a wrong one is refused', () => {
    expect(contentRange(5, 9, 100)).toBe('bytes 5-9/100');
    expect(unsatisfiedRange(100)).toBe('bytes */100');
    expect(parseContentRange('bytes 5-9/100')).toEqual({ start: 5, end: 9, size: 100 });
    for (const bad of ['bytes 9-5/100', 'bytes 5-100/100', 'bytes */100', 'bytes 5-9/*', undefined])
      expect(parseContentRange(bad)).toBeUndefined();
    expect(rangeHeader(7)).toBe('bytes=7-');
    expect(rangeHeader(7, 9)).toBe('bytes=7-9');
  });
});

describe('WebDAV PROPFIND (minimal RFC 4918)', () => {
  test('Depth: 0, 1 and infinity (also when absent); anything else is none', () => {
    expect(parseDepth('0')).toBe('0');
    expect(parseDepth(' 1 ')).toBe('1');
    expect(parseDepth('Infinity')).toBe('infinity');
    expect(parseDepth(undefined)).toBe('infinity');
    expect(parseDepth('2')).toBeUndefined();
  });

  test('a multistatus round-trips its hrefs, collections and sizes, whatever the prefix', () => {
    const when = new Date('2024-05-06T07:08:10Z');
    const xml = buildMultistatus([
      { href: '/CCM_Client/x64/', name: 'x64', collection: true, lastModified: when },
      { href: '/CCM_Client/x64/client.msi', name: 'client.msi', collection: false, size: 4096, lastModified: when },
      { href: '/CCM_Client/x64/a%26b/', name: 'a&b', collection: true, lastModified: when },
    ]);
    expect(xml).toContain('<D:getlastmodified>Mon, 06 May 2024 07:08:10 GMT</D:getlastmodified>');
    expect(parseMultistatus(xml)).toEqual({
      ok: true,
      entries: [
        { href: '/CCM_Client/x64/', collection: true },
        { href: '/CCM_Client/x64/client.msi', collection: false, size: 4096 },
        { href: '/CCM_Client/x64/a%26b/', collection: true },
      ],
    });
    expect(parseMultistatus(xml.replace(/D:/g, 'a:').replace('xmlns:D', 'xmlns:a'))).toEqual(parseMultistatus(xml));
  });

  test('an answer that is not a multistatus, or declares a DOCTYPE, is refused', () => {
    expect(parseMultistatus('<html/>').ok).toBe(false);
    expect(parseMultistatus('<!DOCTYPE x><D:multistatus xmlns:D="DAV:"/>').ok).toBe(false);
    expect(parseXml(PROPFIND_ALLPROP, 'body', 1000).ok).toBe(true);
  });
});
