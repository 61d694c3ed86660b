import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseCmTrace, type ParsedEntry } from '../../src/log/cmtrace-parse';
import { readFixture, removeDir, tempDir } from '../support/paths';
import { runCommand } from '../support/run-command';

/**
 * Golden lines: a bulk-token enrollment through the CMG and its renewal on lab day 31 write
 * Microsoft's published lines (fixtures/published-lines/cmg-enrollment.json, from
 * LOG-LINES.md) byte for byte, in each log in the order of the flow.
 */

interface GoldenLine {
  text: string;
  source: string;
  file?: string;
}

const CMG = 'CONTOSO.CLOUDAPP.NET';
const ROLE = '72186325152220500';
const golden = JSON.parse(readFixture('published-lines', 'cmg-enrollment.json')) as {
  sources: Record<string, string>;
  logs: Record<string, GoldenLine[]>;
};

const PLACEHOLDERS: Record<string, string> = {
  '{cmg}': `(?:${CMG})`,
  '{roleId}': ROLE,
  '{guid}': '[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}',
  '{time}': '\\d\\d/\\d\\d/\\d{4} \\d\\d:\\d\\d:\\d\\d',
  '{n}': '\\d+',
  '{*}': '.*?',
};

function lineMatcher(text: string): RegExp {
  const parts = text.split(/(\{cmg\}|\{roleId\}|\{guid\}|\{time\}|\{n\}|\{\*\})/);
  const source = parts.map((part) => PLACEHOLDERS[part] ?? part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('');
  return new RegExp(`^${source}$`, /\{cmg\}/.test(text) ? 'i' : '');
}

const client = 'GOLDEN01';
let work: string;
let logs: string;
afterAll(() => removeDir(work));
beforeAll(async () => {
  work = tempDir();
  const lab = path.join(work, 'lab');
  logs = path.join(lab, 'logs');
  const run = async (bin: 'ccmlab' | 'ccmsetup' | 'BulkRegistrationTokenTool', ...args: string[]) => {
    const r = await runCommand(bin, [...args], { cwd: work, env: { CCMLAB_LAB: lab }, timeoutMs: 60_000 });
    if (r.code !== 0) throw new Error(`${bin} ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
    return r.stdout;
  };
  await run('ccmlab', 'site', 'init', '--site-code', 'ABC', '--cmg-name', CMG, '--role-id', ROLE);
  await run('ccmlab', 'site', 'start', '--detach');
  try {
    const token = (await run('BulkRegistrationTokenTool', '/new')).split('\n')[4];
    await run(
      'ccmsetup',
      `/mp:https://${CMG}/CCM_Proxy_MutualAuth/${ROLE}`,
      `CCMHOSTNAME=${CMG}/CCM_Proxy_MutualAuth/${ROLE}`,
      'SMSSiteCode=ABC',
      `/regtoken:${token}`,
      '--netbios',
      client,
    );
    await run('ccmlab', 'clock', 'set', '+31d');
    await run('ccmlab', 'client', 'start', '--netbios', client);
  } finally {
    await run('ccmlab', 'site', 'stop');
  }
}, 120_000);

function entriesOf(log: string): ParsedEntry[] {
  return parseCmTrace(fs.readFileSync(path.join(logs, log.replace('{client}', client)), 'utf8')).entries;
}

describe.each(Object.entries(golden.logs))('%s carries the published lines in flow order', (log, lines) => {
  test('each line, byte for byte after its placeholders, after the one before', () => {
    const entries = entriesOf(log);
    let from = 0;
    for (const line of lines) {
      expect(golden.sources[line.source]).toBeDefined();
      const matcher = lineMatcher(line.text);
      const at = entries.findIndex((e, i) => i >= from && matcher.test(e.message));
      expect({ line: line.text, found: at >= 0 }).toEqual({ line: line.text, found: true });
      if (line.file) expect(entries[at].file).toBe(line.file);
      from = at + 1;
    }
  });
});

test('every other line carries a file= of the real shape, module:line', () => {
  for (const log of Object.keys(golden.logs)) {
    for (const entry of entriesOf(log)) expect(entry.file).toMatch(/^[A-Za-z_]+\.(?:cpp|cs):\d+$/);
  }
});
