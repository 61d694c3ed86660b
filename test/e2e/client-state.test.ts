import * as fs from 'node:fs';
import * as path from 'node:path';
import { type RunningSite } from '../../src/site/site-server';
import { removeDir, tempDir } from '../support/paths';
import { type CliResult } from '../support/run-cli';
import { runCommand } from '../support/run-command';
import { initLabSite, startOnLoopback } from '../support/test-site';

/**
 * The client's and the site's state on disk, through real processes: a rerun keeps what it
 * should, and state that is damaged is a one-line error naming the file and the way back.
 */

let work: string;
let siteDir: string;
let site: RunningSite;
/** A client installed on the intranet MP, without SMSSITECODE: its site code came from MPKEYINFORMATION. */
let baseClient: string;

const ccmsetupArgs = (name: string, clientDir: string) => [
  `/mp:${site.ready.mp}`,
  '--netbios',
  name,
  '--client-dir',
  clientDir,
  '--log-dir',
  path.join(work, 'logs', name),
];
const clientJson = (dir: string) =>
  JSON.parse(fs.readFileSync(path.join(dir, 'client.json'), 'utf8')) as Record<string, unknown>;

beforeAll(async () => {
  work = tempDir();
  siteDir = path.join(work, 'site');
  await initLabSite(siteDir);
  site = await startOnLoopback(siteDir, path.join(work, 'logs', 'site'));
  baseClient = path.join(work, 'clients', 'BASE01');
  const r = await runCommand('ccmsetup', ccmsetupArgs('BASE01', baseClient), { cwd: work });
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
});
afterAll(async () => {
  await site.stop();
  removeDir(work);
});

/** A copy of the installed client, to damage without touching the others. */
function copyClient(name: string): string {
  const dir = path.join(work, 'clients', name);
  fs.cpSync(baseClient, dir, { recursive: true });
  return dir;
}

function expectOneLine(r: CliResult, code: number, pattern: RegExp): void {
  expect(r.stderr.trim().split('\n')).toHaveLength(1);
  expect(r.stderr).toMatch(pattern);
  expect(r.stderr).not.toMatch(/INTERNAL/);
  expect(r.code).toBe(code);
}

describe('a rerun of an intranet ccmsetup', () => {
  test('keeps the site code it learnt from MPKEYINFORMATION when it reuses the MP key information', async () => {
    const dir = copyClient('RERUN01');
    expect(clientJson(dir).siteCode).toBe('LAB');
    const r = await runCommand('ccmsetup', ccmsetupArgs('BASE01', dir), { cwd: work });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(clientJson(dir)).toMatchObject({ siteCode: 'LAB', smsid: clientJson(baseClient).smsid });
  });
});

describe('damaged client state: one line naming the file and ccmsetup /forceinstall', () => {
  const cases: Array<[string, string, string | Buffer]> = [
    ['token.jwt not a token', 'token.jwt', 'not-a-token\n'],
    [
      'token.jwt another token',
      'token.jwt',
      `${['{"alg":"RS256"}', '{"iat":1,"exp":2,"jti":"other"}', 'sig'].map((p) => Buffer.from(p).toString('base64url')).join('.')}\n`,
    ],
    ['client.json garbage', 'client.json', Buffer.from([0xff, 0x00, 0x7b, 0x0a])],
    ['client.json null', 'client.json', 'null\n'],
    ['client.json without its fields', 'client.json', '{"schemaVersion":1}\n'],
    ['smscfg.ini garbage', 'smscfg.ini', 'garbage\r\n'],
    ['signing.pem garbage', 'certs/signing.pem', '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n'],
    ['signing.key a directory', 'certs/signing.key', ''],
  ];
  test.each(cases)('%s', async (label, file, content) => {
    const dir = copyClient(`BAD-${label.replace(/\W+/g, '-')}`);
    const target = path.join(dir, file);
    if (label.endsWith('a directory')) {
      fs.rmSync(target);
      fs.mkdirSync(target);
    } else {
      fs.writeFileSync(target, content);
    }
    const name = file.split('/').pop() as string;
    const status = await runCommand('ccmlab', ['client', 'status', '--client-dir', dir], { cwd: work });
    expectOneLine(
      status,
      1,
      new RegExp(`CCMCLIENT_E_CORRUPT_STATE: .*${name.replace('.', '\\.')}.*ccmsetup /forceinstall`),
    );
    const rerun = await runCommand('ccmsetup', ccmsetupArgs('BASE01', dir), { cwd: work });
    expectOneLine(
      rerun,
      6,
      new RegExp(`CCMCLIENT_E_CORRUPT_STATE: .*${name.replace('.', '\\.')}.*ccmsetup /forceinstall`),
    );
    const force = await runCommand('ccmsetup', [...ccmsetupArgs('BASE01', dir), '/forceinstall'], { cwd: work });
    expect(force.stderr).toBe('');
    expect(force.code).toBe(0);
  });
});

describe("damaged site state: one line naming the file and 'site init --force'", () => {
  function copySite(name: string): string {
    const dir = path.join(work, name);
    fs.cpSync(siteDir, dir, { recursive: true });
    return dir;
  }

  test.each([
    ['site.json garbage', 'site.json', 'garbage', ['site', 'show']],
    ['site.json null', 'site.json', 'null', ['site', 'show']],
    ['site.db garbage', 'site.db', 'garbage'.repeat(1000), ['site', 'tokens', 'list']],
  ])('%s', async (label, file, content, command) => {
    const dir = copySite(`site-${label.replace(/\W+/g, '-')}`);
    for (const extra of ['site.db-wal', 'site.db-shm']) fs.rmSync(path.join(dir, extra), { force: true });
    fs.writeFileSync(path.join(dir, file), content);
    const r = await runCommand(
      'ccmlab',
      [...command, '--site-dir', dir, '--log-dir', path.join(work, 'logs', 'site')],
      {
        cwd: work,
      },
    );
    expectOneLine(r, 1, new RegExp(`CCMLAB_E_SITE_CORRUPT: .*${file.replace('.', '\\.')}.*site init --force`));
    const tool = await runCommand(
      'BulkRegistrationTokenTool',
      ['/new', '--site-dir', dir, '--log-dir', path.join(work, 'logs', 'site')],
      { cwd: work },
    );
    expectOneLine(tool, 1, /CCMLAB_E_SITE_CORRUPT: .*site init --force/);
    expect(tool.stdout).toBe('');
  });
});
