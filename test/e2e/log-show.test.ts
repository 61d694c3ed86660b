import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { clockStartingAt } from '../../src/core/clock';
import { CLIENT_LOG_DEFAULTS, CmLog } from '../../src/log/logger';
import { ROOT, removeDir, tempDir } from '../support/paths';
import { runCommand } from '../support/run-command';
import { waitForOutput } from '../support/wait-for';

let dir: string;
let live: string;

/** A small client log (10,000 bytes, 3 history files) so a few hundred lines roll it over. */
function clientLocationLog(start: string): CmLog {
  return new CmLog({
    dir,
    name: 'ClientLocation',
    rollover: 'history',
    settings: { ...CLIENT_LOG_DEFAULTS, maxSize: 10_000, maxHistory: 3 },
    clock: clockStartingAt(new Date(start)),
    source: 'lsad.cpp',
  });
}

beforeEach(async () => {
  dir = tempDir();
  const log = clientLocationLog('2026-01-15T10:00:00Z');
  for (let i = 0; i < 150; i++) log.info(`entry ${i}`);
  log.warn('Unable to find a management point');
  log.error('Failed to send location request');
  await log.close();
  live = path.join(dir, 'ClientLocation.log');
});
afterEach(() => removeDir(dir));

describe('ccmlab log show (process)', () => {
  test('reads history files then the live log, in order', async () => {
    const r = await runCommand('ccmlab', ['log', 'show', live, '--json']);
    expect(r.code).toBe(0);
    const entries = JSON.parse(r.stdout) as Array<{
      message: string;
      typeName: string;
      component: string;
      log: string;
    }>;
    const numbered = entries
      .map((e) => /^entry (\d+)$/.exec(e.message)?.[1])
      .filter((n): n is string => n !== undefined)
      .map(Number);
    expect(fs.readdirSync(dir).filter((n) => n.startsWith('ClientLocation-')).length).toBeGreaterThan(0);
    expect(numbered[numbered.length - 1]).toBe(149);
    numbered.forEach((n, i) => expect(n).toBe(150 - numbered.length + i));
    expect(entries[entries.length - 1]).toMatchObject({
      message: 'Failed to send location request',
      typeName: 'error',
      component: 'ClientLocation',
    });
    // Every record, history files' included, is tagged with the log named.
    expect(new Set(entries.map((e) => e.log))).toEqual(new Set([live]));
  });

  test('filters by type, component, grep and since', async () => {
    const errors = await runCommand('ccmlab', ['log', 'show', live, '--type', 'error']);
    expect(errors.stdout.trim().split('\n')).toHaveLength(1);
    expect(errors.stdout).toMatch(/error {4}ClientLocation {2}Failed to send location request/);
    const warnings = await runCommand('ccmlab', ['log', 'show', live, '--type', 'warning', '--json']);
    expect((JSON.parse(warnings.stdout) as unknown[]).length).toBe(1);
    const grep = await runCommand('ccmlab', ['log', 'show', live, '--grep', '^entry 14[0-9]$', '--json']);
    expect((JSON.parse(grep.stdout) as unknown[]).length).toBe(10);
    const none = await runCommand('ccmlab', ['log', 'show', live, '--component', 'CcmMessaging', '--json']);
    expect(JSON.parse(none.stdout)).toEqual([]);
    const later = await runCommand('ccmlab', ['log', 'show', live, '--since', '2030-01-01T00:00:00Z', '--json']);
    expect(JSON.parse(later.stdout)).toEqual([]);
  });

  test('bad input: missing file, bad regex, bad --since, unknown option', async () => {
    const missing = await runCommand('ccmlab', ['log', 'show', path.join(dir, 'nope.log')]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^ccmlab: error CCMLAB_E_FILE_NOT_FOUND: log file .*nope\.log does not exist/);
    const regex = await runCommand('ccmlab', ['log', 'show', live, '--grep', '(']);
    expect(regex.code).toBe(2);
    expect(regex.stderr).toMatch(/CCMLAB_E_BAD_OPTION: --grep '\(' is not a valid RE2 regular expression/);
    const since = await runCommand('ccmlab', ['log', 'show', live, '--since', 'noon']);
    expect(since.code).toBe(2);
    const unknown = await runCommand('ccmlab', ['log', 'show', live, '--colour']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(
      /CCMLAB_E_USAGE: --colour is not an option here.*; ccmlab log show --help shows usage/,
    );
    // --lab is refused where it cannot apply, never silently ignored.
    for (const command of [
      ['log', 'show', live],
      ['log', 'diagnose', live],
      ['scenario', 'list'],
    ]) {
      const lab = await runCommand('ccmlab', [...command, '--lab', dir]);
      expect(lab.code).toBe(2);
      expect(lab.stderr).toMatch(
        /^ccmlab: error CCMLAB_E_BAD_OPTION: --lab does not apply to ccmlab (log show|log diagnose|scenario list): /,
      );
    }
  });

  test('--follow prints lines appended later, through a rollover, and stops on SIGTERM', async () => {
    const child = spawn(
      process.execPath,
      [path.join(ROOT, 'bin', 'ccmlab.js'), 'log', 'show', live, '--follow', '--grep', '^late'],
      {
        env: { ...process.env, NO_COLOR: '1' },
      },
    );
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString('utf8')));
    const waitFor = async (pattern: RegExp): Promise<void> => {
      await new Promise<void>((resolve, reject) => {
        const check = (): void => {
          if (!pattern.test(out)) return;
          child.stdout.off('data', check);
          resolve();
        };
        child.stdout.on('data', check);
        child.on('close', () => reject(new Error(`ccmlab log show ended without printing ${String(pattern)}`)));
        check();
      });
    };
    const closed = new Promise<number | null>((resolve) => child.on('close', resolve));
    try {
      await waitForOutput(child.stderr, /ccmlab: following .*; Ctrl\+C stops/);
      const log = clientLocationLog('2026-01-15T11:00:00Z');
      log.info('late 1');
      await waitFor(/late 1/);
      for (let i = 0; i < 120; i++) log.info(`filler ${i}`);
      log.info('late 2');
      await log.close();
      await waitFor(/late 2/);
    } finally {
      child.kill('SIGTERM');
    }
    expect(await closed).toBe(0);
    expect(out.match(/late \d/g)).toEqual(['late 1', 'late 2']);
  });
});
