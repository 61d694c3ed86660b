import * as fs from 'node:fs';
import * as path from 'node:path';
import { listFiles, removeDir, tempDir } from '../support/paths';
import { runCommand } from '../support/run-command';
import { startSiteProcess } from '../support/site-process';
import { ARTICLE_SITE_OPTIONS } from '../support/test-site';

/** Under umask 000 every file and directory still gets its explicit mode. */

const UMASK_000 = ['-r', path.join(__dirname, '..', 'support', 'umask-000.js')];
const CMG = 'CONTOSO.CLOUDAPP.NET/CCM_Proxy_MutualAuth/72186325152220500';

let work: string;
beforeAll(() => {
  work = tempDir();
});
afterAll(() => removeDir(work));

function modes(dir: string): Array<{ file: string; mode: number; directory: boolean }> {
  const out = [{ file: '.', mode: fs.statSync(dir).mode & 0o777, directory: true }];
  for (const file of listFiles(dir)) {
    out.push({ file, mode: fs.statSync(path.join(dir, file)).mode & 0o777, directory: false });
    const parent = path.dirname(file);
    if (parent !== '.' && !out.some((o) => o.file === parent))
      out.push({ file: parent, mode: fs.statSync(path.join(dir, parent)).mode & 0o777, directory: true });
  }
  return out;
}

test('site, token tool, site start and ccmsetup under umask 000 leave no group- or world-writable file', async () => {
  const siteDir = path.join(work, 'site');
  const siteLogs = path.join(work, 'logs', 'site');
  const clientDir = path.join(work, 'clients', 'MODES01');
  const clientLogs = path.join(work, 'logs', 'clients', 'MODES01');
  const common = { cwd: work, nodeArgs: UMASK_000 };
  expect(
    (
      await runCommand(
        'ccmlab',
        ['site', 'init', '--site-dir', siteDir, ...ARTICLE_SITE_OPTIONS, '--log-dir', siteLogs],
        common,
      )
    ).code,
  ).toBe(0);
  const tool = await runCommand(
    'BulkRegistrationTokenTool',
    ['/new', '--site-dir', siteDir, '--log-dir', siteLogs],
    common,
  );
  expect(tool.code).toBe(0);
  const site = await startSiteProcess(['--site-dir', siteDir, '--log-dir', siteLogs], common);
  try {
    const port = new URL(site.ready.cmg).port;
    const setup = await runCommand(
      'ccmsetup',
      [
        `/mp:https://${CMG}`,
        `CCMHOSTNAME=${CMG}`,
        'SMSSiteCode=ABC',
        `/regtoken:${tool.stdout.split('\n')[4]}`,
        '--connect-to',
        `CONTOSO.CLOUDAPP.NET:443:127.0.0.1:${port}`,
        '--ca-file',
        path.join(siteDir, 'pki', 'sms-issuing.pem'),
        '--netbios',
        'MODES01',
        '--client-dir',
        clientDir,
        '--log-dir',
        clientLogs,
      ],
      common,
    );
    expect(setup.code).toBe(0);
  } finally {
    await site.stop();
  }
  const all = [...modes(siteDir), ...modes(path.join(work, 'logs')), ...modes(clientDir)];
  expect(all.filter((m) => (m.mode & 0o022) !== 0)).toEqual([]);
  expect(modes(clientDir).filter((m) => m.mode !== (m.directory ? 0o700 : 0o600))).toEqual([]);
  for (const secret of ['pki/sms-issuing.key', 'pki/token-signing.pem', 'pki/cmg.pem', 'pki/role-ssl.pem', 'site.db']) {
    expect(fs.statSync(path.join(siteDir, secret)).mode & 0o777).toBe(0o600);
  }
  expect(fs.statSync(siteDir).mode & 0o777).toBe(0o700);
  expect(modes(path.join(work, 'logs')).filter((m) => m.mode > (m.directory ? 0o755 : 0o644))).toEqual([]);
});
