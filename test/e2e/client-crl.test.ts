import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseCmTrace } from '../../src/log/cmtrace-parse';
import { removeDir, tempDir } from '../support/paths';
import { runCommand } from '../support/run-command';
import { startSiteProcess, type SiteProcess } from '../support/site-process';
import { ARTICLE_SITE_OPTIONS } from '../support/test-site';

/** The client checks the CMG certificate's CRL unless /NoCRLCheck, as WinHTTP does. */

const CMG = 'CONTOSO.CLOUDAPP.NET/CCM_Proxy_MutualAuth/72186325152220500';
let work: string;
let lab: string;
let site: SiteProcess;
const run = (bin: 'ccmlab' | 'ccmsetup' | 'BulkRegistrationTokenTool', ...args: string[]) =>
  runCommand(bin, [...args, '--lab', lab], { cwd: work });
const setupLog = (netbios: string) =>
  parseCmTrace(fs.readFileSync(path.join(lab, 'logs', 'clients', netbios, 'ccmsetup.log'), 'utf8')).entries.map(
    (e) => e.message,
  );

async function ccmsetup(netbios: string, ...extra: string[]) {
  const token = (await run('BulkRegistrationTokenTool', '/new')).stdout.split('\n')[4];
  return run(
    'ccmsetup',
    `/mp:https://${CMG}`,
    `CCMHOSTNAME=${CMG}`,
    'SMSSiteCode=ABC',
    `/regtoken:${token}`,
    ...extra,
    '--netbios',
    netbios,
  );
}

beforeAll(async () => {
  work = tempDir();
  lab = path.join(work, 'lab');
  expect(
    (
      await run(
        'ccmlab',
        'site',
        'init',
        ...ARTICLE_SITE_OPTIONS,
        '--mp-name',
        'mp01.contoso.com',
        '--crl-distribution-point',
      )
    ).code,
  ).toBe(0);
  site = await startSiteProcess(['--lab', lab], { cwd: work });
});
afterAll(async () => {
  await site.stop();
  removeDir(work);
});

test('a reachable CRL that does not list the CMG: enrolled, with the revocation check on', async () => {
  const r = await ccmsetup('CRLOK01');
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  expect(setupLog('CRLOK01')).toContain('Enabled SSL revocation check.');
});

test('an unreachable CRL fails with CERT_REV_FAILED; the same command with /NoCRLCheck succeeds', async () => {
  const hosts = path.join(lab, 'hosts.json');
  const published = fs.readFileSync(hosts, 'utf8');
  const names = JSON.parse(published) as { names: Record<string, string> };
  for (const name of Object.keys(names.names))
    if (/^(mp01\.contoso\.com|mp01):80$/i.test(name)) delete names.names[name];
  fs.writeFileSync(hosts, JSON.stringify(names));
  try {
    const refused = await ccmsetup('CRLDOWN1');
    expect(refused.code).toBe(6);
    expect(refused.stderr).toMatch(/CCMCLIENT_E_SECURE_FAILURE: .*CERT_REV_FAILED.*\/NoCRLCheck/);
    const lines = setupLog('CRLDOWN1');
    expect(lines).toContain('[CCMHTTP]            : lpvStatusInformation is 0x1');
    expect(lines).toContain('[CCMHTTP]            : WINHTTP_CALLBACK_STATUS_FLAG_CERT_REV_FAILED is set');
    expect(lines).toContain(
      `[CCMHTTP] ERROR: URL=https://${CMG.split('/')[0]}/CCM_Proxy_ServerAuth/ServiceMetadata, Port=443, Options=63, Code=12175, Text=ERROR_WINHTTP_SECURE_FAILURE`,
    );
    const unchecked = await ccmsetup('CRLDOWN2', '/NoCRLCheck');
    expect(unchecked.stderr).toBe('');
    expect(unchecked.code).toBe(0);
    expect(setupLog('CRLDOWN2')).not.toContain('Enabled SSL revocation check.');
  } finally {
    fs.writeFileSync(hosts, published);
  }
});

test('a revoked CMG certificate is refused (CERT_REVOKED) until it is renewed', async () => {
  expect((await run('ccmlab', 'site', 'certs', 'revoke', 'cmg')).code).toBe(0);
  const refused = await ccmsetup('REVOKED1');
  expect(refused.code).toBe(6);
  expect(refused.stderr).toMatch(/CERT_REVOKED.*renew it on the site/);
  expect(setupLog('REVOKED1')).toContain('[CCMHTTP]            : WINHTTP_CALLBACK_STATUS_FLAG_CERT_REVOKED is set');
  expect((await run('ccmlab', 'site', 'certs', 'renew', 'cmg')).code).toBe(0);
  const renewed = await ccmsetup('REVOKED2');
  expect(renewed.stderr).toBe('');
  expect(renewed.code).toBe(0);
});
