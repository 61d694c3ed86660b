import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import { formatBias, formatCmTraceLine } from '../../src/log/cmtrace-format';
import { parseCmTrace } from '../../src/log/cmtrace-parse';
import { sourceAttribute } from '../../src/log/logger';
import { ROOT, readFixture } from '../support/paths';

interface Golden {
  message: string;
  component: string;
  type: 1;
  thread: number;
  file: string;
  cases: Array<{ tz: string; instant: string; line: string }>;
}

const golden = JSON.parse(readFixture('cmtrace', 'golden-lines.json')) as Golden;

/**
 * Local time depends on the process's TZ, which Jest's sandboxed process.env cannot
 * change: each zone is formatted by a real Node process started with that TZ.
 */
function formatIn(tz: string, instant: string): { line: string; parsedIso: string } {
  const script = `
    const { formatCmTraceLine } = require(${JSON.stringify(path.join(ROOT, 'dist/log/cmtrace-format.js'))});
    const { parseCmTrace } = require(${JSON.stringify(path.join(ROOT, 'dist/log/cmtrace-parse.js'))});
    const g = JSON.parse(process.argv[1]);
    const line = formatCmTraceLine({ message: g.message, component: g.component, type: g.type, thread: g.thread, file: g.file, time: new Date(process.argv[2]) });
    process.stdout.write(JSON.stringify({ line, parsedIso: parseCmTrace(line).entries[0].time.toISOString() }));`;
  const out = execFileSync(process.execPath, ['-e', script, JSON.stringify(golden), instant], {
    env: { ...process.env, TZ: tz },
  });
  return JSON.parse(out.toString('utf8')) as { line: string; parsedIso: string };
}

describe('CMTrace line layout (fixtures/cmtrace/golden-lines.json)', () => {
  test.each(golden.cases.map((c) => [c.tz, c.instant, c] as const))('%s at %s', (_tz, _instant, c) => {
    const { line, parsedIso } = formatIn(c.tz, c.instant);
    expect(line).toBe(c.line);
    expect(parsedIso).toBe(c.instant);
    const [parsed] = parseCmTrace(c.line).entries;
    expect(parsed).toMatchObject({
      message: golden.message,
      component: 'ClientLocation',
      context: '',
      type: 1,
      thread: 4321,
      file: 'lsad.cpp:4526',
    });
    expect(parsed.time.toISOString()).toBe(c.instant);
  });

  test.each([
    [480, '+480'],
    [-60, '-60'],
    [-120, '-120'],
    [0, '+00'],
    [5, '+05'],
    [-330, '-330'],
  ])('bias %d prints as %s', (bias, text) => {
    expect(formatBias(bias)).toBe(text);
  });

  test('a message with <, > and line breaks is written as is', () => {
    const message = 'first <a> line\r\nsecond "line"';
    const line = formatCmTraceLine({
      message,
      component: 'CCM_STS',
      type: 3,
      thread: 1,
      file: 'sts.cs:1',
      time: new Date('2026-01-01T00:00:00Z'),
    });
    expect(line.startsWith(`<![LOG[${message}]LOG]!>`)).toBe(true);
    expect(line.endsWith('">\r\n')).toBe(true);
    expect(parseCmTrace(line).entries[0].message).toBe(message);
  });
});

describe('file= attributes', () => {
  test('a published value is kept whole', () => {
    expect(sourceAttribute('ccmsetup.cpp:9498', 'anything')).toBe('ccmsetup.cpp:9498');
  });

  test('otherwise module:line, the same line for the same message shape whatever its values', () => {
    const a = sourceAttribute(
      'regtask.cpp',
      '[RegTask] - Client is registered. Server assigned ClientID is GUID:AAAAAAAA-0000-0000-0000-000000000001. Approval status 1',
    );
    const b = sourceAttribute(
      'regtask.cpp',
      '[RegTask] - Client is registered. Server assigned ClientID is GUID:BBBBBBBB-1111-1111-1111-111111111112. Approval status 1',
    );
    expect(a).toMatch(/^regtask\.cpp:\d{3,5}$/);
    expect(a).toBe(b);
    expect(sourceAttribute('regtask.cpp', '[RegTask] - Executing registration task synchronously.')).not.toBe(a);
  });
});
