import * as fs from 'node:fs';
import * as path from 'node:path';
import { request } from '../support/https-client';
import { listFiles, removeDir, tempDir } from '../support/paths';
import { runCommand } from '../support/run-command';
import { startSiteProcess } from '../support/site-process';

/**
 * The lab's own files are input: a running site keeps its last good clock when clock.json
 * turns bad; clients trust no more than `lab trust list` shows; and a command pointed at a
 * directory outside a named lab reads and writes no lab of the working directory.
 */

const CMG = 'CONTOSO.CLOUDAPP.NET';
const ROLE = '72186325152220500';
const article = (token: string) => [
  `/mp:https://${CMG}/CCM_Proxy_MutualAuth/${ROLE}`,
  `CCMHOSTNAME=${CMG}/CCM_Proxy_MutualAuth/${ROLE}`,
  'SMSSiteCode=ABC',
  `/regtoken:${token}`,
];

let work: string;
beforeEach(() => {
  work = tempDir();
});
afterEach(() => removeDir(work));

test('a running site keeps its last good lab clock when clock.json turns bad, says so, and stops cleanly', async () => {
  const lab = path.join(work, 'lab');
  const ccmlab = (...args: string[]) => runCommand('ccmlab', [...args, '--lab', lab], { cwd: work });
  expect((await ccmlab('site', 'init', '--site-code', 'ABC', '--cmg-name', CMG, '--role-id', ROLE)).code).toBe(0);
  expect((await ccmlab('clock', 'set', '+31d')).code).toBe(0);
  const site = await startSiteProcess(['--lab', lab], { cwd: work });
  let stderr = '';
  site.child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  try {
    // A token valid for an hour of lab time, 31 days from now: the site accepts it only while it keeps day 31.
    const issued = await runCommand('BulkRegistrationTokenTool', ['/new', '/lifetime', '60', '--lab', lab], {
      cwd: work,
    });
    const token = issued.stdout.split('\n')[4];
    const ca = fs.readFileSync(path.join(lab, 'site', 'pki', 'sms-issuing.pem'), 'utf8');
    const metadata = () =>
      request(`${site.ready.cmg.replace('127.0.0.1', 'localhost')}/CCM_Proxy_ServerAuth/ServiceMetadata`, {
        ca,
        headers: { authorization: `Bearer ${token}` },
      });
    expect((await metadata()).status).toBe(200);
    for (const bad of ['not json', '{"offsetMs":1e400}', '{"offsetMs":"2678400000"}', `{"offsetMs":${8.64e15}}`]) {
      fs.writeFileSync(path.join(lab, 'clock.tmp'), bad);
      fs.renameSync(path.join(lab, 'clock.tmp'), path.join(lab, 'clock.json'));
      expect((await metadata()).status).toBe(200);
    }
    expect(site.child.exitCode).toBeNull();
    expect(stderr).toMatch(/the lab clock .*clock\.json .*keeps the lab time it had \(offset 26784\d{5} ms\)/);
    // A command started now is refused: the file is bad, and nothing says which time it meant.
    const show = await ccmlab('clock', 'show');
    expect(show.code).toBe(1);
    expect(show.stderr).toMatch(/CCMLAB_E_LAB_CORRUPT: .*clock set reset/);
  } finally {
    await site.stop();
  }
  expect(site.child.exitCode).toBe(0);
  expect(fs.existsSync(path.join(lab, 'site', 'ready.json'))).toBe(false);
  expect(fs.existsSync(path.join(lab, 'site', 'site.lock'))).toBe(false);
  expect((await ccmlab('clock', 'set', 'reset')).code).toBe(0);
});

test('clock set beyond ±100 years is refused and leaves the clock as it was', async () => {
  const lab = path.join(work, 'lab');
  const clock = (...args: string[]) => runCommand('ccmlab', ['clock', ...args, '--lab', lab, '--json'], { cwd: work });
  expect((await clock('set', '+36000d')).code).toBe(0);
  const refused = await clock('set', '+999999d');
  expect(refused.code).toBe(2);
  expect(JSON.parse(refused.stdout).error.code).toBe('CCMLAB_E_BAD_NOW');
  expect(JSON.parse((await clock('show')).stdout).offsetMs).toBe(36000 * 86_400_000);
});

test('clients trust only what lab trust list shows: a root file with a second certificate is refused everywhere', async () => {
  const lab = path.join(work, 'lab');
  const ccmlab = (...args: string[]) => runCommand('ccmlab', [...args, '--lab', lab], { cwd: work });
  expect((await ccmlab('site', 'init', '--site-code', 'ABC')).code).toBe(0);
  const rootFile = path.join(lab, 'trusted-roots', 'site-ABC.pem');
  const root = fs.readFileSync(rootFile, 'utf8');
  const other = path.join(work, 'other');
  expect(
    (await runCommand('ccmlab', ['site', 'init', '--site-dir', other, '--site-code', 'XYZ'], { cwd: work })).code,
  ).toBe(0);
  const otherRoot = fs.readFileSync(path.join(other, 'pki', 'sms-issuing.pem'), 'utf8');

  const bundle = path.join(work, 'bundle.pem');
  fs.writeFileSync(bundle, root + otherRoot);
  const add = await ccmlab('lab', 'trust', 'add', bundle, '--name', 'both');
  expect(add.code).toBe(2);
  expect(add.stderr).toMatch(/CCMLAB_E_BAD_OPTION: .*holds 2 PEM blocks/);
  expect(fs.existsSync(path.join(lab, 'trusted-roots', 'both.pem'))).toBe(false);

  fs.appendFileSync(rootFile, otherRoot);
  const list = await ccmlab('lab', 'trust', 'list');
  expect(list.code).toBe(1);
  expect(list.stderr).toMatch(/CCMLAB_E_LAB_CORRUPT: .*site-ABC\.pem .*holds 2 PEM blocks.*lab trust remove site-ABC/);
  const setup = await runCommand('ccmsetup', [...article('a.b.c'), '--lab', lab, '--netbios', 'PC1'], { cwd: work });
  expect(setup.code).toBe(6);
  expect(setup.stderr).toMatch(/CCMLAB_E_LAB_CORRUPT/);
});

test('--site-dir, --client-dir and --ca-file outside a named lab touch no lab of the working directory', async () => {
  const siteDir = path.join(work, 'site');
  const init = await runCommand(
    'ccmlab',
    ['site', 'init', '--site-dir', siteDir, '--site-code', 'ABC', '--cmg-name', CMG, '--role-id', ROLE, '--json'],
    { cwd: work },
  );
  expect(init.code).toBe(0);
  expect(JSON.parse(init.stdout).trustedAs).toBeNull();
  // The working directory's lab trusts this site's root and runs a clock 40 days ahead: none of it may leak in.
  const lab = path.join(work, 'lab');
  expect(
    (await runCommand('ccmlab', ['lab', 'trust', 'add', path.join(siteDir, 'pki', 'sms-issuing.pem')], { cwd: work }))
      .code,
  ).toBe(0);
  expect((await runCommand('ccmlab', ['clock', 'set', '+40d'], { cwd: work })).code).toBe(0);
  const labBefore = listFiles(lab);

  const site = await startSiteProcess(['--site-dir', siteDir, '--log-dir', path.join(work, 'site-logs')], {
    cwd: work,
  });
  try {
    expect(listFiles(lab)).toEqual(labBefore);
    const shown = JSON.parse(
      (await runCommand('ccmlab', ['site', 'show', '--site-dir', siteDir, '--json'], { cwd: work })).stdout,
    ) as { labTime: string };
    expect(Math.abs(Date.parse(shown.labTime) - Date.now())).toBeLessThan(86_400_000);
    const issued = await runCommand(
      'BulkRegistrationTokenTool',
      ['/new', '--site-dir', siteDir, '--log-dir', path.join(work, 'site-logs'), '--json'],
      { cwd: work },
    );
    const { token, validFrom } = JSON.parse(issued.stdout) as { token: string; validFrom: string };
    expect(Math.abs(Date.parse(validFrom) - Date.now())).toBeLessThan(86_400_000);

    const client = (name: string, caFile: string) => [
      ...article(token),
      '--client-dir',
      path.join(work, 'clients', name),
      '--log-dir',
      path.join(work, 'logs', name),
      '--netbios',
      name,
      '--connect-to',
      `${CMG}:443:127.0.0.1:${new URL(site.ready.cmg).port}`,
      '--ca-file',
      caFile,
    ];
    // A wrong --ca-file enrolls no client, though the working directory's lab trusts the right root.
    const wrong = await runCommand(
      'ccmsetup',
      client('PC1', path.join(lab, '..', 'site', 'pki', 'sms-token-signing.pem')),
      { cwd: work },
    );
    expect(wrong.code).toBe(6);
    expect(wrong.stderr).toMatch(/CCMCLIENT_E_SECURE_FAILURE|CCMSETUP_E_BAD_CA_FILE/);
    const right = await runCommand('ccmsetup', client('PC2', path.join(siteDir, 'pki', 'sms-issuing.pem')), {
      cwd: work,
    });
    expect(right.stderr).toBe('');
    expect(right.code).toBe(0);
    const status = await runCommand(
      'ccmlab',
      ['client', 'status', '--client-dir', path.join(work, 'clients', 'PC2'), '--json'],
      { cwd: work },
    );
    expect(JSON.parse(status.stdout).tokenState).toBe('valid');
    expect(listFiles(lab)).toEqual(labBefore);
  } finally {
    await site.stop();
  }
});

test('client commands check --netbios as ccmsetup does: it names a directory', async () => {
  for (const command of ['status', 'start']) {
    const r = await runCommand(
      'ccmlab',
      ['client', command, '--netbios', '../../../X', '--lab', path.join(work, 'lab')],
      {
        cwd: work,
      },
    );
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /^ccmlab: error CCMLAB_E_BAD_OPTION: --netbios '\.\.\/\.\.\/\.\.\/X' is not a NetBIOS name/,
    );
  }
  expect(fs.existsSync(path.join(work, 'lab'))).toBe(false);
});

test('a start refused by a bad lab file changes nothing, detached or not; a second detached start leaves the running one alone', async () => {
  const lab = path.join(work, 'lab');
  const ccmlab = (...args: string[]) => runCommand('ccmlab', [...args, '--lab', lab], { cwd: work });
  expect((await ccmlab('site', 'init', '--site-code', 'ABC')).code).toBe(0);
  fs.writeFileSync(path.join(lab, 'hosts.json'), 'garbage');
  const before = listFiles(lab);
  for (const detach of [[], ['--detach']]) {
    const r = await ccmlab('site', 'start', ...detach);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/CCMLAB_E_LAB_CORRUPT: the lab's names .*hosts\.json cannot be read/);
    expect(listFiles(lab)).toEqual(before);
  }
  fs.rmSync(path.join(lab, 'hosts.json'));
  const started = await ccmlab('site', 'start', '--detach', '--json');
  expect(started.code).toBe(0);
  const consoleFile = (JSON.parse(started.stdout) as { console: string }).console;
  try {
    fs.appendFileSync(consoleFile, 'kept\n');
    const second = await ccmlab('site', 'start', '--detach');
    expect(second.stderr).toMatch(/CCMLAB_E_SITE_RUNNING/);
    expect(fs.readFileSync(consoleFile, 'utf8')).toBe('kept\n');
  } finally {
    expect((await ccmlab('site', 'stop')).code).toBe(0);
  }
});
