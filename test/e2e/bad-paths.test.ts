import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawn } from 'node:child_process';
import { removeDir, ROOT, tempDir } from '../support/paths';
import { type CliResult } from '../support/run-cli';
import { runCommand } from '../support/run-command';

/**
 * Paths that cannot be used: each is one line on stderr with its code and the tool's
 * documented exit code, never a hang, a spin or an exit 0.
 */

let work: string;
beforeEach(() => {
  work = tempDir();
});
afterEach(() => removeDir(work));

const onLinux = process.platform === 'linux' ? test : test.skip;
const intranet = ['/mp:http://127.0.0.1:9', 'SMSSITECODE=ABC', '--netbios', 'PATHS01'];

function expectOneLine(r: CliResult, code: number, pattern: RegExp): void {
  expect(r.stderr.trim().split('\n')).toHaveLength(1);
  expect(r.stderr).toMatch(pattern);
  expect(r.code).toBe(code);
}

/** A regular file where a directory is expected. */
function fileAt(name: string): string {
  const file = path.join(work, name);
  fs.writeFileSync(file, 'not a directory\n');
  return file;
}

describe('a log directory that cannot be made', () => {
  test('ccmsetup: below a file (ENOTDIR) exits 6 with CCMLAB_E_LOG_DIR', async () => {
    const r = await runCommand('ccmsetup', [...intranet, '--dry-run', '--log-dir', path.join(fileAt('f'), 'logs')], {
      cwd: work,
    });
    expectOneLine(r, 6, /^ccmsetup: error CCMLAB_E_LOG_DIR: log directory .*f\/logs cannot be made \(ENOTDIR/);
  });

  test('ccmsetup: a name too long (ENAMETOOLONG) exits 6 with CCMLAB_E_LOG_DIR', async () => {
    const r = await runCommand('ccmsetup', [...intranet, '--dry-run', '--log-dir', path.join(work, 'x'.repeat(300))], {
      cwd: work,
    });
    expectOneLine(r, 6, /^ccmsetup: error CCMLAB_E_LOG_DIR: .*ENAMETOOLONG/);
  });

  onLinux(
    'ccmsetup: --log-dir /proc/self/nope ends at once with CCMLAB_E_LOG_DIR (Node’s recursive mkdir spins there)',
    async () => {
      const r = await runCommand('ccmsetup', [...intranet, '--dry-run', '--log-dir', '/proc/self/nope'], {
        cwd: work,
        timeoutMs: 15_000,
      });
      expectOneLine(r, 6, /CCMLAB_E_LOG_DIR: log directory \/proc\/self\/nope cannot be made/);
    },
  );

  test('ccmsetup: a log file that is a directory exits 6 with CCMLAB_E_LOG_WRITE', async () => {
    const logDir = path.join(work, 'logs');
    fs.mkdirSync(path.join(logDir, 'ccmsetup.log'), { recursive: true });
    const r = await runCommand('ccmsetup', [...intranet, '--dry-run', '--log-dir', logDir], { cwd: work });
    expectOneLine(r, 6, /CCMLAB_E_LOG_WRITE: log file .*ccmsetup\.log is a directory, not a regular file/);
  });

  onLinux('ccmlab site init and demo under /proc/self/nope end at once with CCMLAB_E_STATE_WRITE', async () => {
    const init = await runCommand('ccmlab', ['site', 'init', '--site-dir', '/proc/self/nope/site'], {
      cwd: work,
      timeoutMs: 15_000,
    });
    expectOneLine(init, 1, /^ccmlab: error CCMLAB_E_STATE_WRITE: directory \/proc\/self\/nope cannot be made/);
    const demo = await runCommand('ccmlab', ['demo', '--lab-dir', '/proc/self/nope'], { cwd: work, timeoutMs: 15_000 });
    expect(demo.stderr).toMatch(
      /^ccmlab: error CCMLAB_E_STATE_WRITE: lab directory \/proc\/self\/nope cannot be made/m,
    );
    expect(demo.code).toBe(1);
  });

  test('BulkRegistrationTokenTool: exits 1 before making a token', async () => {
    const r = await runCommand(
      'BulkRegistrationTokenTool',
      ['/new', '--site-dir', path.join(work, 'site'), '--log-dir', path.join(fileAt('f'), 'logs')],
      { cwd: work },
    );
    expectOneLine(r, 1, /^BulkRegistrationTokenTool: error CCMLAB_E_LOG_DIR: /);
    expect(r.stdout).toBe('');
  });
});

describe('files the tools read: regular files, size-capped', () => {
  onLinux('--ca-file /dev/zero is refused, not read', async () => {
    const r = await runCommand(
      'ccmsetup',
      [
        ...intranet,
        '--ca-file',
        '/dev/zero',
        '--client-dir',
        path.join(work, 'client'),
        '--log-dir',
        path.join(work, 'logs'),
      ],
      { cwd: work },
    );
    expectOneLine(r, 6, /CCMSETUP_E_BAD_CA_FILE: --ca-file \/dev\/zero is a character device, not a regular file/);
  });

  test('--ca-file naming a directory is refused', async () => {
    const r = await runCommand(
      'ccmsetup',
      [...intranet, '--ca-file', work, '--client-dir', path.join(work, 'client'), '--log-dir', path.join(work, 'logs')],
      { cwd: work },
    );
    expectOneLine(r, 6, /CCMSETUP_E_BAD_CA_FILE: --ca-file .* is a directory, not a regular file/);
  });

  onLinux('/config:/dev/zero is refused, not read', async () => {
    const r = await runCommand('ccmsetup', ['/config:/dev/zero', '--dry-run', '--log-dir', path.join(work, 'logs')], {
      cwd: work,
    });
    expectOneLine(r, 6, /CCMSETUP_E_BAD_CONFIG_FILE: \/config:\/dev\/zero is a character device, not a regular file/);
  });

  test('/config: over 1 MiB is refused', async () => {
    const big = path.join(work, 'big.tcf');
    fs.writeFileSync(big, Buffer.alloc(2 * 1024 * 1024, 0x20));
    const r = await runCommand('ccmsetup', [`/config:${big}`, '--dry-run', '--log-dir', path.join(work, 'logs')], {
      cwd: work,
    });
    expectOneLine(
      r,
      6,
      /CCMSETUP_E_BAD_CONFIG_FILE: \/config:.*big\.tcf is 2097152 bytes, more than the 1048576 allowed/,
    );
  });
});

describe('the exit handler', () => {
  /** A tiny program on the built exit handler: `body` is the main function's text. */
  function runMainWith(body: string): Promise<{ code: number | null; stderr: string }> {
    const script = `
      const { runMain } = require(${JSON.stringify(path.join(ROOT, 'dist', 'cli', 'exit.js'))});
      const { CmLog, CLIENT_LOG_DEFAULTS } = require(${JSON.stringify(path.join(ROOT, 'dist', 'log', 'logger.js'))});
      const { systemClock } = require(${JSON.stringify(path.join(ROOT, 'dist', 'core', 'clock.js'))});
      void runMain({ name: 'probe' }, [], async () => { ${body} });`;
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, ['-e', script, work], { stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, stderr }));
    });
  }

  test('an uncaught exception is reported and exits 1, while main never returns', async () => {
    const r = await runMainWith(
      `setImmediate(() => { throw new Error('boom'); }); return new Promise(() => setInterval(() => {}, 1000));`,
    );
    expect(r.stderr).toMatch(/^probe: error CCMLAB_E_INTERNAL: internal error: boom/);
    expect(r.code).toBe(1);
  });

  test('an unhandled rejection is reported and exits 1', async () => {
    const r = await runMainWith(
      `void Promise.reject(new Error('lost')); return new Promise(() => setInterval(() => {}, 1000));`,
    );
    expect(r.stderr).toMatch(/^probe: error CCMLAB_E_INTERNAL: internal error: lost/);
    expect(r.code).toBe(1);
  });

  test('a log that never closes cannot keep the process from exiting with its code', async () => {
    const r = await runMainWith(`
      const log = new CmLog({ dir: process.argv[1], name: 'Stuck', rollover: 'history', settings: CLIENT_LOG_DEFAULTS, clock: systemClock, source: 'probe' });
      log.info('a line');
      log.close = () => new Promise(() => {});
      return 3;`);
    expect(r.code).toBe(3);
  });

  test('a main that can never settle (nothing left to wait for) is a failure, not exit 0 in silence', async () => {
    // As a request whose connection closed while undici still waited for it: a timer, then a promise nothing settles.
    const r = await runMainWith(
      `await new Promise((resolve) => setTimeout(resolve, 10)); await new Promise(() => {}); return 0;`,
    );
    expect(r.stderr).toMatch(/^probe: error CCMLAB_E_INTERNAL: internal error: the command stopped before it finished/);
    expect(r.stderr.split('\n')).toHaveLength(2);
    expect(r.code).toBe(1);
  });

  test('control characters in a message are shown escaped, so the error stays one line', async () => {
    const r = await runMainWith(`throw new Error('bad\\r\\nvalue\\u001b[31m');`);
    expect(r.stderr).toBe(
      'probe: error CCMLAB_E_INTERNAL: internal error: bad\\r\\nvalue\\x1b[31m (run again with CCMLAB_DEBUG=1 for details, and report it)\n',
    );
    expect(r.code).toBe(1);
  });
});
