import * as fs from 'node:fs';
import * as path from 'node:path';
import { removeDir, tempDir } from '../support/paths';
import { runCli } from '../support/run-cli';

/** What every command shares: counts printed with their units, in the singular for one. */

let work: string;
beforeEach(() => {
  work = tempDir();
});
afterEach(() => removeDir(work));

describe('counts with units', () => {
  test('log show says "1 block", not "1 block(s)"', async () => {
    const file = path.join(work, 'mixed.log');
    const record = '<![LOG[hello]LOG]!><time="10:00:00.000+00" date="01-15-2026" component="Test" context="" type="1" thread="1" file="t">';
    fs.writeFileSync(file, `not a record\r\n${record}\r\n`);
    const r = await runCli('ccmlab', ['log', 'show', file], { cwd: work });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('hello');
    expect(r.stderr).toBe('ccmlab: skipped 1 block of text that is not CMTrace\n');
  });
});
