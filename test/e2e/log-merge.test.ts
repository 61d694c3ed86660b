import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Clock } from '../../src/core/clock';
import { formatCmTraceLine } from '../../src/log/cmtrace-format';
import { CLIENT_LOG_DEFAULTS, CmLog, SITE_LOG_DEFAULTS, type LogSettings } from '../../src/log/logger';
import { ROOT, removeDir, tempDir } from '../support/paths';
import { runCommand } from '../support/run-command';

/** `ccmlab log show` over several logs: a lab's client and site folders merged into one timeline. */

let dir: string;
let logs: string;
const at = (second: number): string => `2026-01-15T10:00:0${second}.000Z`;

/** Writes one log through the real logger, each line at the instant given. */
async function writeLog(
  folder: string,
  name: string,
  settings: LogSettings,
  lines: Array<[number, 'info' | 'warn' | 'error', string]>,
): Promise<void> {
  let now = new Date(at(0));
  const clock: Clock = { now: () => now, offsetMs: 0 };
  const log = new CmLog({
    dir: folder,
    name,
    rollover: settings === SITE_LOG_DEFAULTS ? 'lo_' : 'history',
    settings,
    clock,
    source: `${name}.cpp:1`,
  });
  for (const [second, level, message] of lines) {
    now = new Date(at(second));
    log[level](message);
  }
  await log.close();
}

const siteLine = (message: string, second: number, type: 1 | 2 | 3, component: string): string =>
  formatCmTraceLine({ message, component, type, thread: 7, file: 'mp.cpp:1', time: new Date(at(second)) });

beforeEach(async () => {
  dir = tempDir();
  logs = path.join(dir, 'logs');
  const pc01 = path.join(logs, 'clients', 'PC01');
  const site = path.join(logs, 'site');
  await writeLog(pc01, 'ccmsetup', CLIENT_LOG_DEFAULTS, [[0, 'info', 'ccmsetup started on PC01']]);
  await writeLog(pc01, 'ClientLocation', CLIENT_LOG_DEFAULTS, [[2, 'warn', 'Rotating internet management point']]);
  await writeLog(path.join(logs, 'clients', 'PC02'), 'ccmsetup', CLIENT_LOG_DEFAULTS, [
    [2, 'info', 'ccmsetup started on PC02'],
  ]);
  await writeLog(site, 'CCM_STS', SITE_LOG_DEFAULTS, [
    [1, 'info', 'Token request from PC01'],
    [5, 'error', 'Token validation failed'],
  ]);
  // A log from a real Windows server: UTF-16LE with BOM, CRLF.
  const utf16 = siteLine('Registration refused', 3, 3, 'MP_RegistrationManager');
  fs.writeFileSync(
    path.join(site, 'MP_RegistrationManager.log'),
    Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(utf16, 'utf16le')]),
  );
  // The older SMS layout: local 11:00:04 at bias -60 is 10:00:04Z.
  fs.mkdirSync(path.join(site, 'old'));
  fs.writeFileSync(
    path.join(site, 'old', 'SMSExec.log'),
    'SMS_EXECUTIVE started.  $$<SMS_EXECUTIVE><01-15-2026 11:00:04.000-60><thread=1234 (0x4D2)>\r\n',
  );
  fs.writeFileSync(path.join(site, 'notes.txt'), 'not a log\n');
});
afterEach(() => removeDir(dir));

interface JsonRecord {
  message: string;
  log: string;
  file: string;
  typeName: string;
  component: string;
  time: string;
}

const TIMELINE = [
  'ccmsetup started on PC01',
  'Token request from PC01',
  'Rotating internet management point',
  'ccmsetup started on PC02',
  'Registration refused',
  'SMS_EXECUTIVE started.',
  'Token validation failed',
];

describe('ccmlab log show PATH… (process)', () => {
  test('a client folder and a site folder merge into one timeline, each record tagged with its log', async () => {
    const r = await runCommand('ccmlab', [
      'log',
      'show',
      path.join(logs, 'clients'),
      path.join(logs, 'site'),
      '--json',
    ]);
    expect(r.code).toBe(0);
    const records = JSON.parse(r.stdout) as JsonRecord[];
    expect(records.map((e) => e.message)).toEqual(TIMELINE);
    expect(records.map((e) => path.relative(logs, e.log))).toEqual(
      [
        'clients/PC01/ccmsetup.log',
        'site/CCM_STS.log',
        'clients/PC01/ClientLocation.log',
        'clients/PC02/ccmsetup.log',
        'site/MP_RegistrationManager.log',
        'site/old/SMSExec.log',
        'site/CCM_STS.log',
      ].map((p) => path.join(...p.split('/'))),
    );
    expect(records[0]).toMatchObject({ file: 'ccmsetup.cpp:1', component: 'ccmsetup', time: at(0) });
    expect(records[4]).toMatchObject({
      typeName: 'error',
      component: 'MP_RegistrationManager',
      file: 'mp.cpp:1',
      time: at(3),
    });
    expect(records[5]).toMatchObject({ component: 'SMS_EXECUTIVE', file: '', time: at(4) });
    expect(r.stderr).toBe(`ccmlab: skipped ${path.join(logs, 'site', 'notes.txt')}: not a log (*.log, *.lo_)\n`);
  });

  test('the human view shows each log in a column, base names told apart by their folders', async () => {
    const r = await runCommand('ccmlab', ['log', 'show', logs]);
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(TIMELINE.length);
    const label = (name: string): string => name.padEnd('MP_RegistrationManager'.length);
    expect(lines[0]).toMatch(
      new RegExp(
        `^01-15-2026 \\d\\d:\\d\\d:00\\.000[+-]\\d+  ${label('PC01/ccmsetup')}  info     ccmsetup  ccmsetup started on PC01$`,
      ),
    );
    expect(lines[2]).toMatch(
      new RegExp(`  ${label('ClientLocation')}  warning  ClientLocation  Rotating internet management point$`),
    );
    expect(lines[3]).toMatch(new RegExp(`  ${label('PC02/ccmsetup')}  info  `));
    expect(lines[5]).toBe(
      `01-15-2026 11:00:04.000-60  ${label('SMSExec')}  info     SMS_EXECUTIVE  SMS_EXECUTIVE started.`,
    );
    expect(lines[6]).toMatch(new RegExp(`  ${label('CCM_STS')}  error    CCM_STS  Token validation failed$`));
  });

  test('--type, --component, --grep and --since apply across the logs', async () => {
    const show = async (...options: string[]): Promise<string[]> => {
      const r = await runCommand('ccmlab', ['log', 'show', logs, '--json', ...options]);
      expect(r.code).toBe(0);
      return (JSON.parse(r.stdout) as JsonRecord[]).map((e) => e.message);
    };
    expect(await show('--type', 'error')).toEqual(['Registration refused', 'Token validation failed']);
    expect(await show('--component', 'CCMSETUP')).toEqual(['ccmsetup started on PC01', 'ccmsetup started on PC02']);
    expect(await show('--grep', 'PC0[12]$')).toEqual([
      'ccmsetup started on PC01',
      'Token request from PC01',
      'ccmsetup started on PC02',
    ]);
    expect(await show('--since', at(3))).toEqual(TIMELINE.slice(4));
  });

  test('files named one by one merge too; a folder without logs is an error', async () => {
    const r = await runCommand('ccmlab', [
      'log',
      'show',
      path.join(logs, 'site', 'CCM_STS.log'),
      path.join(logs, 'clients', 'PC02', 'ccmsetup.log'),
    ]);
    expect(r.code).toBe(0);
    expect(
      r.stdout
        .trimEnd()
        .split('\n')
        .map((l) => /^\S+ \S+ {2}(.{8}) {2}/.exec(l)?.[1]),
    ).toEqual(['CCM_STS ', 'ccmsetup', 'CCM_STS ']);
    const empty = path.join(dir, 'empty');
    fs.mkdirSync(empty);
    const none = await runCommand('ccmlab', ['log', 'show', empty]);
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(
      /^ccmlab: error CCMLAB_E_FILE_NOT_FOUND: no logs \(\*\.log, \*\.lo_\) under .*empty; give a \.log file or a folder that holds logs/,
    );
  });

  test('--follow follows every log and prints new records tagged with their log', async () => {
    const sts = path.join(logs, 'site', 'CCM_STS.log');
    const setup = path.join(logs, 'clients', 'PC02', 'ccmsetup.log');
    const child = spawn(
      process.execPath,
      [path.join(ROOT, 'bin', 'ccmlab.js'), 'log', 'show', sts, setup, '--follow', '--json'],
      {
        env: { ...process.env, NO_COLOR: '1' },
      },
    );
    const closed = new Promise<number | null>((resolve) => child.on('close', resolve));
    try {
      // What was there is printed once the logs are read; whatever is written after that is followed.
      await outputMatching(child, /Token validation failed/);
      fs.appendFileSync(sts, siteLine('late on the site', 6, 1, 'CCM_STS'));
      fs.appendFileSync(setup, siteLine('late on PC02', 7, 2, 'ccmsetup'));
      await outputMatching(child, /late on the site[\s\S]*late on PC02|late on PC02[\s\S]*late on the site/);
    } finally {
      child.kill('SIGTERM');
    }
    expect(await closed).toBe(0);
    const late = collected
      .get(child)!
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as JsonRecord)
      .filter((e) => e.message.startsWith('late'));
    expect(late.map((e) => [e.message, e.log])).toEqual(
      expect.arrayContaining([
        ['late on the site', sts],
        ['late on PC02', setup],
      ]),
    );
    expect(late).toHaveLength(2);
  });
});

const collected = new Map<ChildProcessWithoutNullStreams, string>();

/** Resolves when the child's stdout so far matches; fails after 20 s or when the child ends. */
function outputMatching(child: ChildProcessWithoutNullStreams, pattern: RegExp): Promise<void> {
  if (!collected.has(child)) {
    collected.set(child, '');
    child.stdout.on('data', (d: Buffer) => collected.set(child, collected.get(child) + d.toString('utf8')));
  }
  return new Promise((resolve, reject) => {
    const check = (): void => {
      if (!pattern.test(collected.get(child) ?? '')) return;
      done();
      resolve();
    };
    const ended = (): void => {
      done();
      reject(new Error(`the command ended before printing ${pattern}: ${collected.get(child)}`));
    };
    const timer = setTimeout(() => {
      done();
      reject(new Error(`no ${pattern} within 20 s: ${collected.get(child)}`));
    }, 20_000);
    const done = (): void => {
      clearTimeout(timer);
      child.stdout.off('data', check);
      child.off('close', ended);
    };
    child.stdout.on('data', check);
    child.on('close', ended);
    check();
  });
}
