import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { parseCmTrace } from '../../src/log/cmtrace-parse';
import { listFiles, removeDir, ROOT, tempDir } from '../support/paths';
import { waitForChange } from '../support/wait-for';

/**
 * A command ended early ends cleanly: a reader gone from its output (EPIPE on stdout or
 * stderr) ends it at once with exit 1; Ctrl+C in ccmsetup writes ccmsetup's failure exit line
 * (0x800704C7, cancelled), releases its lock and exits 6.
 */

const CMG = 'CONTOSO.CLOUDAPP.NET';
const ROLE = '72186325152220500';
const TOKEN = `${Buffer.from('{"typ":"JWT","alg":"RS256","x5t":"abc"}').toString('base64url')}.${Buffer.from(
  JSON.stringify({
    SCCMTokenCategory: 'SCCMPreAuthToken',
    Authority: 'SCCM',
    License: 'SCCM',
    Type: 'BulkRegistration',
    TenantId: 'A',
    UniqueId: '0b6ad1ce-0000-4000-8000-000000000001',
    iss: 'urn:sccm:oauth2:a',
    aud: 'urn:sccm:service',
    exp: 4102444800,
    nbf: 1700000000,
  }),
).toString('base64url')}.c2ln`;

let work: string;
beforeEach(() => {
  work = tempDir();
});
afterEach(() => removeDir(work));

function exited(child: ReturnType<typeof spawn>): Promise<number | null> {
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

test('a closed stdout and stderr end the demo at once with exit 1, its lab unlocked', async () => {
  const child = spawn(
    process.execPath,
    [path.join(ROOT, 'bin', 'ccmlab.js'), 'demo', '--lab-dir', path.join(work, 'demo')],
    { cwd: work, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  // The reader goes away before the command has said anything: every write it makes fails with EPIPE.
  child.stdout?.destroy();
  child.stderr?.destroy();
  expect(await exited(child)).toBe(1);
  expect(listFiles(path.join(work, 'demo')).filter((f) => f.endsWith('.lock') || f.endsWith('ready.json'))).toEqual([]);
});

test('a site whose stdout reader is gone stops with exit 1 and leaves neither ready.json nor its lock', async () => {
  const lab = path.join(work, 'lab');
  const init = spawn(
    process.execPath,
    [path.join(ROOT, 'bin', 'ccmlab.js'), 'site', 'init', '--lab', lab, '--site-code', 'ABC'],
    { cwd: work, stdio: 'ignore' },
  );
  expect(await exited(init)).toBe(0);
  const child = spawn(process.execPath, [path.join(ROOT, 'bin', 'ccmlab.js'), 'site', 'start', '--lab', lab], {
    cwd: work,
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  child.stdout?.destroy();
  expect(await exited(child)).toBe(1);
  expect(fs.existsSync(path.join(lab, 'site', 'ready.json'))).toBe(false);
  expect(fs.existsSync(path.join(lab, 'site', 'site.lock'))).toBe(false);
});

test('Ctrl+C during ccmsetup logs the cancelled failure line, releases its lock and exits 6', async () => {
  // A CMG that accepts connections and never answers: ccmsetup waits in its first request.
  const silent = net.createServer(() => undefined);
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  const port = (silent.address() as net.AddressInfo).port;
  const clientDir = path.join(work, 'client');
  const logDir = path.join(work, 'logs');
  fs.mkdirSync(logDir);
  const args = [
    `/mp:https://${CMG}/CCM_Proxy_MutualAuth/${ROLE}`,
    `CCMHOSTNAME=${CMG}/CCM_Proxy_MutualAuth/${ROLE}`,
    'SMSSiteCode=ABC',
    `/regtoken:${TOKEN}`,
  ];
  const child = spawn(
    process.execPath,
    [
      path.join(ROOT, 'bin', 'ccmsetup.js'),
      ...args,
      '--client-dir',
      clientDir,
      '--log-dir',
      logDir,
      '--netbios',
      'PC1',
      '--connect-to',
      `${CMG}:443:127.0.0.1:${port}`,
      '/NoCRLCheck',
    ],
    {
      cwd: work,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const code = exited(child);
  try {
    const setupLog = path.join(logDir, 'ccmsetup.log');
    await waitForChange(
      logDir,
      () => fs.existsSync(setupLog) && fs.readFileSync(setupLog, 'utf8').includes('Registering through the CMG'),
    );
    expect(fs.existsSync(path.join(clientDir, 'ccmsetup.lock'))).toBe(true);
    child.kill('SIGINT');
    expect(await code).toBe(6);
  } finally {
    silent.close();
  }
  expect(stderr).toMatch(/^ccmsetup: error CCMLAB_E_CANCELLED: ccmsetup was cancelled \(Ctrl\+C\) before it finished/);
  expect(fs.existsSync(path.join(clientDir, 'ccmsetup.lock'))).toBe(false);
  const entries = parseCmTrace(fs.readFileSync(path.join(logDir, 'ccmsetup.log'), 'utf8')).entries;
  expect(entries.at(-1)?.message).toBe('CcmSetup failed with error code 0x800704C7');
  expect(entries.at(-2)?.type).toBe(3);
});

test('output lost to a closed stdout is never exit 0: ccmsetup --dry-run exits 6, ccmlab --version 1', async () => {
  const setup = spawn(
    process.execPath,
    [
      path.join(ROOT, 'bin', 'ccmsetup.js'),
      '--dry-run',
      `/mp:https://${CMG}/CCM_Proxy_MutualAuth/${ROLE}`,
      'SMSSiteCode=ABC',
      '--log-dir',
      path.join(work, 'logs'),
    ],
    { cwd: work, stdio: ['ignore', 'pipe', 'ignore'] },
  );
  setup.stdout?.destroy();
  expect(await exited(setup)).toBe(6);
  const version = spawn(process.execPath, [path.join(ROOT, 'bin', 'ccmlab.js'), '--version'], {
    cwd: work,
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  version.stdout?.destroy();
  expect(await exited(version)).toBe(1);
});
