import { decodeText } from '../../src/core/text';
import { MAX_MESSAGE_CHARS, parseCmTrace } from '../../src/log/cmtrace-parse';

const line = (message: string, time: string, date: string, type = 1, extra = '') =>
  `<![LOG[${message}]LOG]!><time="${time}" date="${date}" component="ccmsetup" context="" type="${type}" thread="2048" file="ccmsetup.cpp:9338"${extra}>`;

describe('CMTrace parser', () => {
  test.each([
    ['+00', '10:00:00.000+00', '2026-01-15T10:00:00.000Z'],
    ['+000', '10:00:00.000+000', '2026-01-15T10:00:00.000Z'],
    ['-60', '11:00:00.000-60', '2026-01-15T10:00:00.000Z'],
    ['-060', '11:00:00.000-060', '2026-01-15T10:00:00.000Z'],
    ['+480', '02:00:00.000+480', '2026-01-15T10:00:00.000Z'],
    ['seven-digit fraction', '10:00:00.1234567+00', '2026-01-15T10:00:00.123Z'],
  ])('bias form %s', (_name, time, iso) => {
    const [entry] = parseCmTrace(line('x', time, '01-15-2026')).entries;
    expect(entry.time.toISOString()).toBe(iso);
  });

  test('multi-line records, type 0 and CRLF or LF endings', () => {
    const text =
      [
        line('one', '10:00:00.000+00', '01-15-2026', 0),
        line('two\r\nlines <x>', '10:00:01.000+00', '01-15-2026', 3),
        line('three', '10:00:02.000+00', '1-5-2026', 2),
      ].join('\r\n') + '\n';
    const { entries, unparsed } = parseCmTrace(text);
    expect(entries.map((e) => [e.message, e.type])).toEqual([
      ['one', 0],
      ['two\r\nlines <x>', 3],
      ['three', 2],
    ]);
    expect(entries[2].localDate).toBe('01-05-2026');
    expect(unparsed).toEqual([]);
  });

  test('UTF-8 with BOM and UTF-16LE with BOM', () => {
    const text = `${line('ÅÄÖ – token', '10:00:00.000+00', '01-15-2026')}\r\n`;
    const utf8bom = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text, 'utf8')]);
    const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]);
    for (const bytes of [utf8bom, utf16, Buffer.from(text, 'utf8')]) {
      expect(parseCmTrace(decodeText(bytes)).entries[0].message).toBe('ÅÄÖ – token');
    }
  });

  test('the older SMS layout, one line or several', () => {
    const text =
      'SMS_EXECUTIVE started.  $$<SMS_EXECUTIVE><01-15-2026 11:00:00.500-60><thread=1234 (0x4D2)>\r\n' +
      'first half\r\nsecond half~  $$<SMS_MP_CONTROL_MANAGER><01-15-2026 10:00:01.000+000><thread=99 (0x63)>\r\n';
    const { entries } = parseCmTrace(text);
    expect(entries).toHaveLength(2);
    expect(entries[0]).toMatchObject({
      message: 'SMS_EXECUTIVE started.',
      component: 'SMS_EXECUTIVE',
      thread: 1234,
      layout: 'sms',
    });
    expect(entries[0].time.toISOString()).toBe('2026-01-15T10:00:00.500Z');
    expect(entries[1].message).toBe('first half\nsecond half~');
  });

  test('text in neither layout is reported, not fatal', () => {
    const { entries, unparsed } = parseCmTrace(
      `garbage line\r\n${line('ok', '10:00:00.000+00', '01-15-2026')}\r\n<![LOG[cut off`,
    );
    expect(entries.map((e) => e.message)).toEqual(['ok']);
    expect(unparsed).toEqual(['garbage line', '<![LOG[cut off']);
  });

  test('each record and each block of other text says where it starts', () => {
    const first = line('a', '10:00:00.000+00', '01-15-2026');
    const text = `${first}\r\nbare one\r\n\r\nbare two\r\nold  $$<SMS_MP><01-15-2026 10:00:01.000+000><thread=9>\r\n${line('b', '10:00:02.000+00', '01-15-2026')}\r\ntail`;
    const { entries, unparsed, unparsedAt } = parseCmTrace(text);
    expect(entries.map((e) => [e.message, e.offset])).toEqual([
      ['a', 0],
      // Lines before an SMS trailer belong to its record, which starts at the first of them.
      ['bare one\nbare two\nold', first.length + 2],
      ['b', text.indexOf('<![LOG[b')],
    ]);
    expect(unparsed).toEqual(['tail']);
    expect(unparsedAt).toEqual([text.length - 4]);
  });

  test('end points after the last whole record', () => {
    const whole = `${line('a', '10:00:00.000+00', '01-15-2026')}\r\n`;
    const result = parseCmTrace(`${whole}<![LOG[half`);
    expect(result.end).toBe(whole.length - 2);
  });
});

/**
 * Hostile logs: each would take from seconds to hours if any step were quadratic (the older
 * layout's trailer expression once took 8 s on 100,000 spaces), and takes milliseconds when
 * linear. The bound proves only that it ends.
 */
describe('CMTrace parser on hostile text', () => {
  const LIMIT_MS = 3000;
  const timed = <T>(work: () => T): { result: T; ms: number } => {
    const start = process.hrtime.bigint();
    const result = work();
    return { result, ms: Number(process.hrtime.bigint() - start) / 1e6 };
  };
  const trailer = '$$<SMS_MP><01-15-2026 10:00:01.000+000><thread=9 (0x9)>';

  test('200,000 spaces before an older-layout trailer, whole or broken', () => {
    const spaces = ' '.repeat(200_000);
    const whole = timed(() => parseCmTrace(`x${spaces}${trailer}\r\n`));
    expect(whole.result.entries.map((e) => [e.message, e.component])).toEqual([['x', 'SMS_MP']]);
    const broken = timed(() => parseCmTrace(`x${spaces}$$<SMS_MP\r\n${spaces}$$<${spaces}>\r\n`));
    expect(broken.result.entries).toEqual([]);
    expect(broken.result.unparsed).toHaveLength(2);
    expect([whole.ms, broken.ms].every((ms) => ms < LIMIT_MS)).toBe(true);
  });

  test('the older layout: the last $$< on the line is the trailer', () => {
    const { entries } = parseCmTrace(`price $$<5 and more  ${trailer}\n`);
    expect(entries.map((e) => [e.message, e.component])).toEqual([['price $$<5 and more', 'SMS_MP']]);
  });

  test('200,000 record starts with no end, then one end far away with no attributes', () => {
    const starts = '<![LOG[x\n'.repeat(200_000);
    const none = timed(() => parseCmTrace(starts));
    expect(none.result.entries).toEqual([]);
    // Other text is kept in blocks no longer than a message may be, every line of it.
    expect(none.result.unparsed.every((b) => b.length <= MAX_MESSAGE_CHARS)).toBe(true);
    expect(none.result.unparsed.join('\n')).toBe(starts.trimEnd());
    const farEnd = timed(() => parseCmTrace(`${starts}]LOG]!><${'a="b" '.repeat(100_000)}`));
    expect(farEnd.result.entries).toEqual([]);
    expect([none.ms, farEnd.ms].every((ms) => ms < LIMIT_MS)).toBe(true);
  });

  test('attribute runs: a 3,000-letter name in each of 2,000 records, and one past the 4,096 characters read', () => {
    const record = (name: string): string =>
      `<![LOG[m]LOG]!><${name}="v" time="10:00:00.000+00" date="01-15-2026">\r\n`;
    const long = timed(() => parseCmTrace(record('A'.repeat(3000)).repeat(2000)));
    expect(long.result.entries).toHaveLength(2000);
    expect(long.ms).toBeLessThan(LIMIT_MS);
    expect(parseCmTrace(record('A'.repeat(5000))).entries).toEqual([]);
  });

  test('a record longer than MAX_MESSAGE_CHARS is cut, with a count of what was left out', () => {
    const message = 'y'.repeat(MAX_MESSAGE_CHARS + 10);
    const [cmtrace] = parseCmTrace(line(message, '10:00:00.000+00', '01-15-2026')).entries;
    expect(cmtrace.message).toBe(`${'y'.repeat(MAX_MESSAGE_CHARS)}…(10 more characters)`);
    const [sms] = parseCmTrace(`${message}  ${trailer}`).entries;
    expect(sms.message).toBe(cmtrace.message);
  });

  test('100,000 short records and 100,000 short lines of other text', () => {
    const records = timed(() =>
      parseCmTrace(line('r', '10:00:00.000+00', '01-15-2026').concat('\r\n').repeat(100_000)),
    );
    expect(records.result.entries).toHaveLength(100_000);
    const bare = timed(() => parseCmTrace('just text\r\n'.repeat(100_000)));
    expect(bare.result.unparsed.every((b) => b.length <= MAX_MESSAGE_CHARS)).toBe(true);
    expect(bare.result.unparsed.join('\n').split('\n')).toHaveLength(100_000);
    expect([records.ms, bare.ms].every((ms) => ms < LIMIT_MS * 5)).toBe(true);
  });
});
