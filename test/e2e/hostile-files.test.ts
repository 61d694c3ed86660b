import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { parseCmTrace } from '../../src/log/cmtrace-parse';
import { listFiles, removeDir, tempDir } from '../support/paths';
import { type CliResult } from '../support/run-cli';
import { runCommand } from '../support/run-command';

/**
 * Names planted in the directories the tools write to (logs, client dirs, fleet dirs): a
 * link, a pipe. Each is refused with one line and the tool's exit code, at once, and nothing
 * outside the directory is written, cut, re-moded or removed. /uninstall with no client
 * touches nothing; a failed install leaves the client dir's mode as it was.
 */

const onPosix = process.platform === 'win32' ? describe.skip : describe;

let work: string;
let outside: string;
beforeEach(() => {
  work = tempDir();
  outside = tempDir('ccmlab-outside-');
});
afterEach(() => {
  removeDir(work);
  removeDir(outside);
});

function expectOneLine(r: CliResult, code: number, pattern: RegExp): void {
  expect(r.stderr).toMatch(pattern);
  expect(r.stderr.trim().split('\n')).toHaveLength(1);
  expect(r.code).toBe(code);
}

/** A file outside the tool's directories: its bytes and mode, to show nothing changed them. */
function victim(name: string, text = 'outside data\n'): { file: string; unchanged: () => void } {
  const file = path.join(outside, name);
  fs.writeFileSync(file, text);
  fs.chmodSync(file, 0o644);
  return {
    file,
    unchanged: () => {
      expect(fs.readFileSync(file, 'utf8')).toBe(text);
      expect(fs.statSync(file).mode & 0o777).toBe(0o644);
    },
  };
}

/** A FIFO at `file` where this system has mkfifo (Node cannot make one); false otherwise. */
function makeFifo(file: string): boolean {
  return spawnSync('mkfifo', [file], { stdio: 'ignore' }).status === 0;
}

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const intranet = (port: number) => [`/mp:http://127.0.0.1:${port}`, 'SMSSITECODE=ABC', '--netbios', 'HOSTILE01'];

onPosix('client logs: a link or a pipe in a log name', () => {
  test('a ccmsetup.log linked outside the log dir is refused (exit 6) and nothing is appended there', async () => {
    const { file, unchanged } = victim('elsewhere.log');
    const logDir = path.join(work, 'logs');
    fs.mkdirSync(logDir);
    fs.symlinkSync(file, path.join(logDir, 'ccmsetup.log'));
    const r = await runCommand('ccmsetup', [...intranet(9), '--dry-run', '--log-dir', logDir], { cwd: work });
    expectOneLine(
      r,
      6,
      /^ccmsetup: error CCMLAB_E_LOG_WRITE: log file .*logs\/ccmsetup\.log is a symbolic link, which ccmlab does not follow here; /,
    );
    unchanged();
  });

  test('a FIFO ccmsetup.log ends --dry-run at once with exit 6 (where mkfifo exists)', async () => {
    const logDir = path.join(work, 'logs');
    fs.mkdirSync(logDir);
    if (!makeFifo(path.join(logDir, 'ccmsetup.log'))) return;
    // Generous: the refusal is at once; before, the open waited for a reader for ever.
    const r = await runCommand('ccmsetup', [...intranet(9), '--dry-run', '--log-dir', logDir], {
      cwd: work,
      timeoutMs: 30_000,
    });
    expectOneLine(r, 6, /CCMLAB_E_LOG_WRITE: log file .*ccmsetup\.log is a pipe, not a regular file/);
  });

  test('a ClientLocation.log linked outside is refused before the install contacts anything or leaves a client dir', async () => {
    const { file, unchanged } = victim('elsewhere.log');
    const logDir = path.join(work, 'logs');
    fs.mkdirSync(logDir);
    fs.symlinkSync(file, path.join(logDir, 'ClientLocation.log'));
    const clientDir = path.join(work, 'client');
    const r = await runCommand(
      'ccmsetup',
      [...intranet(await closedPort()), '--client-dir', clientDir, '--log-dir', logDir],
      { cwd: work },
    );
    expectOneLine(r, 6, /CCMLAB_E_LOG_WRITE: log file .*ClientLocation\.log is a symbolic link/);
    unchanged();
    expect(fs.existsSync(clientDir)).toBe(false);
  });
});

onPosix('the client dir', () => {
  test('/uninstall with no client installed touches nothing in a directory of other files, and exits 0 saying so', async () => {
    const dir = path.join(work, 'unrelated');
    fs.mkdirSync(path.join(dir, 'certs'), { recursive: true });
    for (const name of ['certs/signing.pem', 'token.jwt', 'smscfg.ini', 'notes.txt'])
      fs.writeFileSync(path.join(dir, name), name);
    fs.chmodSync(dir, 0o755);
    const logDir = path.join(work, 'logs');
    const r = await runCommand('ccmsetup', ['/uninstall', '--client-dir', dir, '--log-dir', logDir], { cwd: work });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`No client is installed in ${dir}; nothing to uninstall.`);
    expect(listFiles(dir)).toEqual(['certs/signing.pem', 'notes.txt', 'smscfg.ini', 'token.jwt']);
    expect(fs.statSync(dir).mode & 0o777).toBe(0o755);
    const lines = parseCmTrace(fs.readFileSync(path.join(logDir, 'ccmsetup.log'), 'utf8')).entries.map(
      (e) => e.message,
    );
    // The log names the emulated machine's client folder; the terminal names the host's.
    expect(lines).toContain('No client is installed in C:\\Windows\\CCM; nothing to uninstall.');
    expect(lines[lines.length - 1]).toBe('CcmSetup is exiting with return code 0');
  });

  test('/uninstall of a damaged client whose certs/ and token.jwt are links removes the links, never what they name', async () => {
    const dir = path.join(work, 'client');
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, 'client.json'), 'damaged');
    const certs = path.join(outside, 'certs');
    fs.mkdirSync(certs);
    for (const name of ['signing.pem', 'signing.key', 'keep.txt']) fs.writeFileSync(path.join(certs, name), name);
    fs.symlinkSync(certs, path.join(dir, 'certs'));
    const { file, unchanged } = victim('token.jwt');
    fs.symlinkSync(file, path.join(dir, 'token.jwt'));
    const r = await runCommand('ccmsetup', ['/uninstall', '--client-dir', dir, '--log-dir', path.join(work, 'logs')], {
      cwd: work,
    });
    expect(r.code).toBe(0);
    expect(fs.readdirSync(dir)).toEqual([]);
    expect(fs.readdirSync(certs).sort()).toEqual(['keep.txt', 'signing.key', 'signing.pem']);
    unchanged();
  });

  test('an install that fails to connect leaves an existing client dir with its mode and files', async () => {
    const dir = path.join(work, 'existing');
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, 'notes.txt'), 'mine');
    fs.chmodSync(dir, 0o755);
    const r = await runCommand(
      'ccmsetup',
      [...intranet(await closedPort()), '--client-dir', dir, '--log-dir', path.join(work, 'logs')],
      { cwd: work },
    );
    expect(r.code).toBe(6);
    expect(r.stderr).toMatch(/CCMCLIENT_E_CANNOT_CONNECT/);
    expect(fs.statSync(dir).mode & 0o777).toBe(0o755);
    expect(fs.readdirSync(dir)).toEqual(['notes.txt']);
  });
});

onPosix('site logs: site start --detach', () => {
  const site = (args: string[]) => runCommand('ccmlab', [...args, '--lab', 'lab'], { cwd: work, timeoutMs: 45_000 });

  async function initSite(): Promise<string> {
    expect((await site(['site', 'init'])).code).toBe(0);
    const logDir = path.join(work, 'lab', 'logs', 'site');
    fs.mkdirSync(logDir, { recursive: true });
    return logDir;
  }

  afterEach(async () => {
    await site(['site', 'stop']);
  });

  test('a site log linked outside is refused at start: nothing appended there, no site left running', async () => {
    const logDir = await initSite();
    const { file, unchanged } = victim('elsewhere.log');
    fs.symlinkSync(file, path.join(logDir, 'MP_RegistrationManager.log'));
    const r = await site(['site', 'start', '--detach']);
    expect(r.stderr).toMatch(/CCMLAB_E_LOG_WRITE: log file .*MP_RegistrationManager\.log is a symbolic link/);
    expect(r.code).toBe(1);
    unchanged();
    expect(fs.existsSync(path.join(work, 'lab', 'site', 'site.lock'))).toBe(false);
  });

  test('a FIFO site log ends site start --detach at once, not after its 60 s wait (where mkfifo exists)', async () => {
    const logDir = await initSite();
    if (!makeFifo(path.join(logDir, 'CMGService.log'))) return;
    const r = await site(['site', 'start', '--detach']);
    expect(r.stderr).toMatch(/CCMLAB_E_LOG_WRITE: log file .*CMGService\.log is a pipe, not a regular file/);
    expect(r.code).toBe(1);
  });
});

onPosix('fleet dirs', () => {
  const ccmlab = (args: string[]) => runCommand('ccmlab', args, { cwd: work, timeoutMs: 180_000 });
  let base: string;
  let baseWork: string;

  // One fleet with an embedded lab and one client enrolled; each test works on a copy of it.
  beforeAll(async () => {
    baseWork = tempDir();
    base = path.join(baseWork, 'fleet');
    const r = await runCommand(
      'ccmlab',
      ['fleet', 'enroll', '--count', '1', '--fleet-dir', base, '--name-pattern', 'HF-{n:02}', '--json'],
      { cwd: baseWork, timeoutMs: 180_000 },
    );
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
  }, 200_000);
  afterAll(() => removeDir(baseWork));

  function copyOfBase(): string {
    const fleet = path.join(work, 'fleet');
    fs.cpSync(base, fleet, { recursive: true, verbatimSymlinks: true });
    return fleet;
  }

  test('a journal.jsonl linked outside is refused before the run changes anything: its target is neither cut nor re-moded', async () => {
    const fleet = copyOfBase();
    // A journal the fleet would take as its own, torn last line and all.
    const { file, unchanged } = victim(
      'journal.jsonl',
      `${fs.readFileSync(path.join(fleet, 'journal.jsonl'), 'utf8')}{"type":"enr`,
    );
    fs.rmSync(path.join(fleet, 'journal.jsonl'));
    fs.symlinkSync(file, path.join(fleet, 'journal.jsonl'));
    const r = await ccmlab(['fleet', 'enroll', '--count', '1', '--fleet-dir', fleet]);
    expectOneLine(r, 1, /CCMLAB_E_FLEET_DIR: the fleet journal .*journal\.jsonl is a symbolic link/);
    unchanged();
  }, 200_000);

  test('--logs failures with logs/clients linked outside is refused by enroll and by start: nothing there is removed', async () => {
    const fleet = copyOfBase();
    const clientLogs = path.join(fleet, 'logs', 'clients');
    fs.rmSync(clientLogs, { recursive: true, force: true });
    for (const name of ['HF-01', 'HF-02']) {
      fs.mkdirSync(path.join(outside, name));
      fs.writeFileSync(path.join(outside, name, 'keep.txt'), name);
    }
    fs.symlinkSync(outside, clientLogs);
    const enroll = await ccmlab(['fleet', 'enroll', '--count', '2', '--fleet-dir', fleet, '--logs', 'failures']);
    expectOneLine(
      enroll,
      1,
      /CCMLAB_E_FLEET_DIR: fleet folder .*logs\/clients is a symbolic link, which ccmlab does not write or remove through/,
    );
    const start = await ccmlab(['fleet', 'start', '--fleet-dir', fleet, '--logs', 'failures']);
    expectOneLine(start, 1, /CCMLAB_E_FLEET_DIR: fleet folder .*logs\/clients is a symbolic link/);
    expect(listFiles(outside)).toEqual(['HF-01/keep.txt', 'HF-02/keep.txt']);
  }, 200_000);
});
