import { decodeText } from '../../src/core/text';
import { parseCmTrace } from '../../src/log/cmtrace-parse';

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
    const text = [line('one', '10:00:00.000+00', '01-15-2026', 0), line('two\r\nlines <x>', '10:00:01.000+00', '01-15-2026', 3), line('three', '10:00:02.000+00', '1-5-2026', 2)].join('\r\n') + '\n';
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
    expect(entries[0]).toMatchObject({ message: 'SMS_EXECUTIVE started.', component: 'SMS_EXECUTIVE', thread: 1234, layout: 'sms' });
    expect(entries[0].time.toISOString()).toBe('2026-01-15T10:00:00.500Z');
    expect(entries[1].message).toBe('first half\nsecond half~');
  });

  test('text in neither layout is reported, not fatal', () => {
    const { entries, unparsed } = parseCmTrace(`garbage line\r\n${line('ok', '10:00:00.000+00', '01-15-2026')}\r\n<![LOG[cut off`);
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
