import { ChunkedBody, framingOf, isRefusal, MAX_HEAD, parseHead } from '../../src/site/http-framing';

const DROP = 'x-ccmlab-original-method';

describe('parseHead', () => {
  test('drops the original-method header in any case and keeps the rest as sent', () => {
    const parsed = parseHead('GET / HTTP/1.1\r\nHost: mp\r\nX-CCMLAB-Original-Method: CCM_POST\r\nAccept: */*', DROP);
    expect(parsed).toEqual({
      requestLine: 'GET / HTTP/1.1',
      headers: ['Host: mp', 'Accept: */*'],
      framing: { kind: 'none' },
    });
  });

  test.each([
    ['Content-Length: 12', { kind: 'length', length: 12 }],
    ['Content-Length: 0', { kind: 'none' }],
    ['Transfer-Encoding: chunked', { kind: 'chunked' }],
    ['Transfer-Encoding: gzip, CHUNKED', { kind: 'chunked' }],
  ])('%s', (line, framing) => {
    expect(parseHead(`POST / HTTP/1.1\r\n${line}`, DROP)).toMatchObject({ framing });
  });

  test.each([
    ['Content-Length: 1\r\nContent-Length: 1', 'more than one Content-Length'],
    ['Content-Length: 1, 2', 'invalid Content-Length'],
    ['Content-Length: -1', 'invalid Content-Length'],
    ['Content-Length: 3\r\nTransfer-Encoding: chunked', 'both Content-Length and Transfer-Encoding'],
    ['Transfer-Encoding: chunked, gzip', 'Transfer-Encoding other than a final chunked'],
    ['Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked', 'Transfer-Encoding other than a final chunked'],
    ['Transfer-Encoding: identity', 'Transfer-Encoding other than a final chunked'],
    ['Transfer-Encoding : chunked', 'malformed header line'],
    ['Host: mp\r\n Transfer-Encoding: chunked', 'malformed header line'],
    ['Host: mp\nTransfer-Encoding: chunked', 'malformed header line'],
  ])('refuses %j with 400', (lines, reason) => {
    expect(parseHead(`POST / HTTP/1.1\r\n${lines}`, DROP)).toEqual({ status: 400, reason });
  });

  test('a bare LF in the request line is refused', () => {
    expect(parseHead('GET / HTTP/1.1\nHost: mp', DROP)).toEqual({
      status: 400,
      reason: 'bare CR or LF in the request line',
    });
  });

  test('framingOf: no framing headers, no body', () => {
    expect(framingOf([], [])).toEqual({ kind: 'none' });
  });
});

describe('ChunkedBody', () => {
  const body = '5;ext=1\r\nhello\r\n10\r\n0123456789abcdef\r\n0\r\nX-Trailer: 1\r\n\r\n';

  test('finds the end of a chunked body with extensions and trailers, bytes after it unused', () => {
    const bytes = Buffer.from(`${body}GET / HTTP/1.1\r\n\r\n`);
    expect(new ChunkedBody().feed(bytes)).toEqual({ used: body.length, done: true });
  });

  test('the same end when fed one byte at a time', () => {
    const reader = new ChunkedBody();
    const bytes = Buffer.from(body);
    const results = [...bytes].map((byte) => reader.feed(Buffer.from([byte])));
    expect(results.slice(0, -1).every((r) => !isRefusal(r) && r.used === 1 && !r.done)).toBe(true);
    expect(results.at(-1)).toEqual({ used: 1, done: true });
  });

  test('an empty body is the last chunk and the empty line', () => {
    expect(new ChunkedBody().feed(Buffer.from('0\r\n\r\n'))).toEqual({ used: 5, done: true });
  });

  test.each([
    ['x\r\n', 'malformed chunk-size line'],
    ['5\n', 'malformed chunk-size line'],
    ['-5\r\n', 'malformed chunk-size line'],
    ['ffffffffffffff\r\n', 'malformed chunk-size line'],
    ['5 \r\n', 'malformed chunk-size line'],
    ['3\r\nabcX', 'chunk data not followed by CRLF'],
    ['3\r\nabc\rX', 'chunk data not followed by CRLF'],
    ['0\r\nX-Trailer: 1\n', 'bare LF in the trailers'],
  ])('refuses %j with 400', (text, reason) => {
    expect(new ChunkedBody().feed(Buffer.from(text))).toEqual({ status: 400, reason });
  });

  test('a chunk-size line has a bounded length', () => {
    expect(new ChunkedBody().feed(Buffer.from(`1;${'x'.repeat(2000)}`))).toEqual({
      status: 400,
      reason: 'chunk-size line over 1024 bytes',
    });
  });

  test('trailers have a bounded size (431)', () => {
    const reader = new ChunkedBody();
    expect(reader.feed(Buffer.from('0\r\n'))).toEqual({ used: 3, done: false });
    expect(reader.feed(Buffer.alloc(MAX_HEAD + 1, 'a'))).toEqual({ status: 431, reason: 'trailers over 64 KiB' });
  });
});
