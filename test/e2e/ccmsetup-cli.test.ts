import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { parseCmTrace } from '../../src/log/cmtrace-parse';
import { emulatorWordsIn } from '../support/emulator-words';
import { articleCorruptedToken, listFiles, readFixture, removeDir, tempDir } from '../support/paths';
import { runCli } from '../support/run-cli';
import { runCommand } from '../support/run-command';

const token = readFixture('tokens', 'bulk-shape-only.jwt').trim();
const corrupted = articleCorruptedToken();
const CMG = 'CONTOSO.CLOUDAPP.NET/CCM_Proxy_MutualAuth/72186325152220500';
const articleArgs = (regtoken: string) => [
  `/mp:https://${CMG}`,
  `CCMHOSTNAME=${CMG}`,
  'SMSSiteCode=ABC',
  `/regtoken:${regtoken}`,
];

let work: string;
beforeEach(() => {
  work = tempDir();
});
afterEach(() => removeDir(work));

function setupLog(dir: string) {
  return parseCmTrace(fs.readFileSync(path.join(dir, 'ccmsetup.log'), 'utf8')).entries;
}

describe('ccmsetup (process)', () => {
  test('a CR or LF inside a refused value is shown escaped: the error stays one line', async () => {
    const logDir = path.join(work, 'logs');
    const r = await runCommand(
      'ccmsetup',
      ['/mp:http://mp\r\n01', 'SMSSITECODE=ABC', '--dry-run', '--log-dir', logDir],
      {
        cwd: work,
      },
    );
    expect(r.code).toBe(6);
    expect(r.stderr.split('\n')).toEqual([
      expect.stringMatching(
        /^ccmsetup: error CCMSETUP_E_BAD_MP: \/mp: 'http:\/\/mp\\r\\n01': host 'mp\\r\\n01' has U\+000D/,
      ),
      '',
    ]);
    const connect = await runCommand(
      'ccmsetup',
      ['/mp:http://mp01', 'SMSSITECODE=ABC', '--connect-to', 'a\n:::', '--dry-run', '--log-dir', logDir],
      { cwd: work },
    );
    expect(connect.code).toBe(6);
    expect(connect.stderr.split('\n')).toEqual([
      expect.stringMatching(/CCMLAB_E_BAD_OPTION: --connect-to 'a\\n:::'/),
      '',
    ]);
  });

  test('--dry-run --json on the article command line gives the parsed model', async () => {
    const logDir = path.join(work, 'logs');
    const r = await runCommand(
      'ccmsetup',
      [...articleArgs(token), '--dry-run', '--json', '--log-dir', logDir, '--netbios', 'client01'],
      { cwd: work },
    );
    expect(r.code).toBe(0);
    const model = JSON.parse(r.stdout) as Record<string, any>;
    expect(model).toMatchObject({
      dryRun: true,
      mode: 'cmg-bulk-token',
      siteCode: 'ABC',
      ccmHostName: CMG,
      cmg: { url: `https://${CMG}`, roleId: '72186325152220500' },
      mp: [{ url: `https://${CMG}`, kind: 'cmg' }],
      properties: { CCMHOSTNAME: CMG, SMSSITECODE: 'ABC' },
      netbios: 'CLIENT01',
      regToken: {
        header: { alg: 'RS256', typ: 'JWT' },
        claims: { Type: 'BulkRegistration', SCCMTokenCategory: 'SCCMPreAuthToken' },
      },
    });
    expect(r.stdout).not.toContain(token);
    expect(r.stderr).toBe('');
    // A dry run leaves its ccmsetup.log and nothing else; the token is not in it.
    expect(listFiles(work)).toEqual(['logs/ccmsetup.log']);
    const log = fs.readFileSync(path.join(logDir, 'ccmsetup.log'), 'utf8');
    expect(log).not.toContain(token.slice(0, 40));
    const entries = setupLog(logDir);
    expect(entries[0].message).toMatch(/^==========\[ ccmsetup started in process \d+ \]==========$/);
    expect(entries.map((e) => e.message)).toContain(
      `Ccmsetup command line: ccmsetup.exe  /mp:https://${CMG} CCMHOSTNAME=${CMG} SMSSiteCode=ABC /regtoken:<redacted>`,
    );
    expect(entries[entries.length - 1].message).toBe('CcmSetup is exiting with return code 0');
  });

  test('the article corrupted token exits 6 with one line naming /regtoken, logged, nothing else written', async () => {
    const logDir = path.join(work, 'logs');
    const r = await runCommand(
      'ccmsetup',
      [...articleArgs(corrupted), '--log-dir', logDir, '--client-dir', path.join(work, 'client')],
      { cwd: work },
    );
    expect(r.code).toBe(6);
    expect(r.stdout).toBe('');
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /^ccmsetup: error CCMSETUP_E_BAD_REGTOKEN: \/regtoken is not a bulk registration token: its payload is not valid JSON/,
    );
    expect(listFiles(work)).toEqual(['logs/ccmsetup.log']);
    const entries = setupLog(logDir);
    const errors = entries.filter((e) => e.type === 3).map((e) => e.message);
    expect(errors[0]).toMatch(/payload is not valid JSON/);
    expect(entries[entries.length - 1]).toMatchObject({
      message: 'CcmSetup failed with error code 0x80070057',
      type: 1,
      file: 'ccmsetup.cpp:10711',
    });
    expect(entries[0].file).toBe('ccmsetup.cpp:9498');
    expect(fs.readFileSync(path.join(logDir, 'ccmsetup.log'), 'utf8')).not.toContain(corrupted.slice(0, 40));
    expect(emulatorWordsIn(logDir)).toEqual([]);
  });

  test('--json refusal is one JSON error document on stdout', async () => {
    const r = await runCommand(
      'ccmsetup',
      [...articleArgs(corrupted), '--json', '--log-dir', path.join(work, 'logs')],
      {
        cwd: work,
      },
    );
    expect(r.code).toBe(6);
    const doc = JSON.parse(r.stdout) as { error: { code: string; exitCode: number; message: string } };
    expect(doc.error).toMatchObject({ code: 'CCMSETUP_E_BAD_REGTOKEN', exitCode: 6 });
  });

  test.each([
    ['America/Los_Angeles', '+480', '2026-01-15T18:00:00Z', '10:00:'],
    ['Europe/Berlin', '-60', '2026-01-15T18:00:00Z', '19:00:'],
    ['UTC', '+00', '2026-01-15T18:00:00Z', '18:00:'],
  ])('TZ=%s in January: ccmsetup.log lines carry %s and parse back', async (tz, bias, now, clock) => {
    const logDir = path.join(work, 'logs');
    // A process of its own: the time zone is the process's.
    const r = await runCli('ccmsetup', [...articleArgs(token), '--dry-run', '--now', now, '--log-dir', logDir], {
      cwd: work,
      env: { TZ: tz },
    });
    expect(r.code).toBe(0);
    const text = fs.readFileSync(path.join(logDir, 'ccmsetup.log'), 'utf8');
    expect(text).toMatch(new RegExp(`time="${clock}\\d\\d\\.\\d{3}\\${bias}" date="01-15-2026"`));
    const [first] = parseCmTrace(text).entries;
    expect(first.biasMinutes).toBe(Number(bias));
    // The process clock started at --now and runs on: within a minute of it.
    expect(Math.abs(first.time.getTime() - Date.parse(now))).toBeLessThan(60_000);
  });

  test('/? prints usage with the documented examples and exits 0', async () => {
    const r = await runCommand('ccmsetup', ['/?'], { cwd: work });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('/regtoken:<value>');
    expect(r.stdout).toContain(`CCMHOSTNAME=${CMG} SMSSITECODE=ABC /NoCRLCheck /RegToken:<token> --dry-run`);
    expect(listFiles(work)).toEqual([]);
  });

  test('an unknown switch suggests the nearest real one', async () => {
    const r = await runCommand('ccmsetup', ['/mp:SMSMP01', '/UsePKICer', '--log-dir', path.join(work, 'logs')], {
      cwd: work,
    });
    expect(r.code).toBe(6);
    expect(r.stderr).toMatch(/'\/UsePKICer' is not a ccmsetup parameter; did you mean \/UsePKICert\?/);
  });

  test('a mistyped emulator option suggests the nearest one', async () => {
    const r = await runCommand('ccmsetup', ['/mp:SMSMP01', '--dry-rn', '--log-dir', path.join(work, 'logs')], {
      cwd: work,
    });
    expect(r.code).toBe(6);
    expect(r.stderr).toMatch(
      /CCMLAB_E_BAD_OPTION: --dry-rn is not an emulator option \(did you mean --dry-run\?\); ccmsetup \/\? lists the emulator's --options/,
    );
  });

  test('a bad emulator option is refused with 6 and still logged where --log-dir says, by its exit line alone', async () => {
    const logDir = path.join(work, 'logs');
    const r = await runCommand('ccmsetup', [...articleArgs(token), '--log-dir', logDir, '--now', 'yesterday'], {
      cwd: work,
    });
    expect(r.code).toBe(6);
    expect(r.stderr).toMatch(/CCMLAB_E_BAD_NOW: --now 'yesterday' is not an ISO-8601 instant/);
    // The emulator's own option is the terminal's: ccmsetup.log has no word of it, only the HRESULT.
    const entries = setupLog(logDir);
    expect(entries.filter((e) => /--now|yesterday/.test(e.message))).toEqual([]);
    expect(entries[entries.length - 1].message).toBe('CcmSetup failed with error code 0x80070057');
  });

  test('an unknown property is passed on with a warning line in ccmsetup.log', async () => {
    const logDir = path.join(work, 'logs');
    const r = await runCommand(
      'ccmsetup',
      ['/mp:SMSMP01', 'SMSSITECODE=S01', 'FOO=bar', '--dry-run', '--log-dir', logDir],
      { cwd: work },
    );
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('warning:');
    const warnings = setupLog(logDir)
      .filter((e) => e.type === 2)
      .map((e) => e.message);
    expect(warnings).toEqual([
      'Property FOO is not a client installation property; it is passed on to client.msi, which ignores it.',
    ]);
  });

  test('/uninstall with no client installed says so, logs it, exits 0 and leaves no client dir', async () => {
    const logDir = path.join(work, 'logs');
    const clientDir = path.join(work, 'lab', 'clients', 'NOBODY');
    const r = await runCommand('ccmsetup', ['/uninstall', '--client-dir', clientDir, '--log-dir', logDir], {
      cwd: work,
    });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(
      new RegExp(
        `^No client is installed in ${clientDir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}; nothing to uninstall\\.$`,
        'm',
      ),
    );
    expect(r.stderr).toBe('');
    const messages = setupLog(logDir).map((e) => e.message);
    expect(messages).toContain('No client is installed in C:\\Windows\\CCM; nothing to uninstall.');
    expect(messages[messages.length - 1]).toBe('CcmSetup is exiting with return code 0');
    expect(listFiles(work)).toEqual(['logs/ccmsetup.log']);
    expect(fs.existsSync(path.join(work, 'lab'))).toBe(false);
    const json = await runCommand(
      'ccmsetup',
      ['/uninstall', '--client-dir', clientDir, '--log-dir', logDir, '--json'],
      {
        cwd: work,
      },
    );
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({ action: 'not-installed', smsid: null });
  });

  test('a failed install leaves no client dir it made, and keeps one that was there', async () => {
    const closed = net.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as net.AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const install = (clientDir: string) =>
      runCommand(
        'ccmsetup',
        [
          ...articleArgs(token),
          '--client-dir',
          clientDir,
          '--log-dir',
          path.join(work, 'logs'),
          '--connect-to',
          `CONTOSO.CLOUDAPP.NET:443:127.0.0.1:${port}`,
        ],
        { cwd: work },
      );
    const fresh = await install(path.join(work, 'lab', 'clients', 'CLIENT01'));
    expect(fresh.code).toBe(6);
    expect(fresh.stderr).toMatch(/CCMCLIENT_E_CANNOT_CONNECT/);
    expect(fs.existsSync(path.join(work, 'lab'))).toBe(false);
    // The terminal's hints (the site, --connect-to) stay out of ccmsetup.log.
    expect(emulatorWordsIn(path.join(work, 'logs'))).toEqual([]);
    const kept = path.join(work, 'kept');
    fs.mkdirSync(kept);
    expect((await install(kept)).code).toBe(6);
    expect(fs.readdirSync(kept)).toEqual([]);
  });
});
