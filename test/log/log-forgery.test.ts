import { formatCmTraceLine } from '../../src/log/cmtrace-format';
import { parseCmTrace } from '../../src/log/cmtrace-parse';
import { printable } from '../../src/core/text';

/** No message, whatever it holds, can end its record or start another. */

const FORGED_ATTRIBUTES =
  '<time="00:00:00.000+00" date="01-01-2000" component="Forged" context="" type="3" thread="1" file="evil.cpp:1">';
const hostile = [
  `A]LOG]!>${FORGED_ATTRIBUTES}`,
  `A]LOG]!>${FORGED_ATTRIBUTES}\r\n<![LOG[forged record`,
  `line one\r\n<![LOG[forged]LOG]!>${FORGED_ATTRIBUTES}\r\n`,
  '<![LOG[',
  ']LOG]!>',
  ']LOG]!><',
  `<![CDATA[<![LOG[forged]]>]LOG]!>${FORGED_ATTRIBUTES}`,
  `\u0000\u001b[31m]LOG]!>\u2028<![LOG[x`,
  `${'x'.repeat(5000)}]LOG]!>${FORGED_ATTRIBUTES}`,
  `nested ]LOG]]LOG]!>!> and <![LOG<![LOG[[`,
];

describe('CMTrace writer against log forgery', () => {
  const time = new Date('2026-11-25T10:00:00.123Z');
  test.each(hostile.map((h) => [JSON.stringify(h).slice(0, 60), h]))(
    "%s is one record with the writer's own time, type and component",
    (_name, message) => {
      for (const text of [message, `Registration from ${printable(message)} refused.`]) {
        const line = formatCmTraceLine({
          message: text,
          component: 'MP_RegistrationManager',
          type: 1,
          thread: 7,
          file: 'mp.cpp:1',
          time,
        });
        const parsed = parseCmTrace(`${line}${line}`);
        expect(parsed.entries).toHaveLength(2);
        expect(parsed.unparsed).toEqual([]);
        for (const entry of parsed.entries) {
          expect(entry).toMatchObject({ component: 'MP_RegistrationManager', type: 1, thread: 7, file: 'mp.cpp:1' });
          expect(entry.time.toISOString()).toBe(time.toISOString());
        }
      }
    },
  );

  test('outside values are shown on one line, escaped and capped', () => {
    expect(printable('a\r\nb\u0000c\u2028')).toBe('a\\r\\nb\\x00c\\u2028');
    expect(printable('y'.repeat(300))).toBe(`${'y'.repeat(256)}…(44 more characters)`);
  });

  test('attribute values cannot close their quote or the element', () => {
    const line = formatCmTraceLine({
      message: 'm',
      component: 'A" type="3',
      type: 1,
      thread: 1,
      file: 'f">\r\n<![LOG[x',
      time,
    });
    const parsed = parseCmTrace(line);
    expect(parsed.entries).toHaveLength(1);
    expect(parsed.entries[0].type).toBe(1);
  });
});
