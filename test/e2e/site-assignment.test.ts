import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseCmTrace } from '../../src/log/cmtrace-parse';
import { removeDir, tempDir } from '../support/paths';
import { runCommand } from '../support/run-command';
import { startSiteProcess, type SiteProcess } from '../support/site-process';
import { ARTICLE_SITE_OPTIONS } from '../support/test-site';

/** SMSSITECODE that is not the site its MP serves: installed, unassigned, unmanaged. */

const CMG = 'CONTOSO.CLOUDAPP.NET/CCM_Proxy_MutualAuth/72186325152220500';
let work: string;
let lab: string;
let site: SiteProcess;
const run = (bin: 'ccmlab' | 'ccmsetup' | 'BulkRegistrationTokenTool', ...args: string[]) =>
  runCommand(bin, [...args, '--lab', lab], { cwd: work });
const entries = (netbios: string, log: string) =>
  parseCmTrace(fs.readFileSync(path.join(lab, 'logs', 'clients', netbios, `${log}.log`), 'utf8')).entries;

beforeAll(async () => {
  work = tempDir();
  lab = path.join(work, 'lab');
  expect((await run('ccmlab', 'site', 'init', ...ARTICLE_SITE_OPTIONS)).code).toBe(0);
  site = await startSiteProcess(['--lab', lab], { cwd: work });
});
afterAll(async () => {
  await site.stop();
  removeDir(work);
});

test.each([
  [
    'through the CMG',
    'WRONGCMG',
    async () => [
      `/mp:https://${CMG}`,
      `CCMHOSTNAME=${CMG}`,
      'SMSSiteCode=XYZ',
      `/regtoken:${(await run('BulkRegistrationTokenTool', '/new')).stdout.split('\n')[4]}`,
    ],
  ],
  ['on the intranet', 'WRONGMP', async () => ['/mp:mp01.lab.test', 'SMSSITECODE=XYZ']],
])('%s: exit 0, type-3 assignment lines, no registration, "assigned": false', async (_how, netbios, args) => {
  const r = await run('ccmsetup', ...(await args()), '--netbios', netbios);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  const location = entries(netbios, 'ClientLocation')
    .filter((e) => e.type === 3)
    .map((e) => e.message);
  expect(location).toEqual([
    expect.stringMatching(/^Failed to assign the client to site <XYZ> \(SMSCLIENT_E_INVALIDSITECODE\)/),
  ]);
  expect(
    entries(netbios, 'LocationServices').some((e) => e.type === 3 && /serves site <ABC>, not <XYZ>/.test(e.message)),
  ).toBe(true);
  expect(fs.existsSync(path.join(lab, 'logs', 'clients', netbios, 'ClientIDManagerStartup.log'))).toBe(false);
  const status = await run('ccmlab', 'client', 'status', '--netbios', netbios, '--json');
  expect(JSON.parse(status.stdout)).toMatchObject({
    assigned: false,
    registration: 'unassigned',
    tokenExpiresAt: null,
  });
  const listed = JSON.parse((await run('ccmlab', 'site', 'clients', 'list', '--json')).stdout) as Array<{
    netbios: string;
  }>;
  expect(listed.some((c) => c.netbios === netbios)).toBe(false);
  const start = await run('ccmlab', 'client', 'start', '--netbios', netbios);
  expect(start.code).toBe(1);
  expect(start.stderr).toMatch(/CCMCLIENT_E_NOT_ASSIGNED/);
});
