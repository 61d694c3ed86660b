import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseCmTrace } from '../../src/log/cmtrace-parse';
import { listFiles, removeDir, tempDir } from '../support/paths';
import { runCli } from '../support/run-cli';
import { runCommand } from '../support/run-command';
import { startSiteProcess, type SiteProcess } from '../support/site-process';
import { waitForChange } from '../support/wait-for';

/**
 * KB-CMG's "Connector 403, client cert": without Enhanced HTTP the MP requires client
 * certificates, so a CMG connection point with no client authentication certificate gets 403
 * for everything it forwards, and the client sees `403 CMGConnector_Clientcertificaterequired`.
 */

const CMG = 'CONTOSO.CLOUDAPP.NET';
const ROLE = '72186325152220500';
const MP = 'mp01.lab.test';
const REASON = 'CMGConnector_Clientcertificaterequired';
const GUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';

let work: string;
let siteDir: string;
let siteLogs: string;
let rootCa: string;
let site: SiteProcess;

const ccmlab = (...args: string[]) => runCommand('ccmlab', args, { cwd: work });
const setting = (key: string, value: string) => ccmlab('site', 'config', 'set', key, value, '--site-dir', siteDir);
const dirs = (name: string) => ({ clientDir: path.join(work, 'clients', name), logDir: path.join(work, 'logs', name) });
const clientStart = (name: string) => ccmlab('client', 'start', '--client-dir', dirs(name).clientDir);

function messages(file: string): string[] {
  return parseCmTrace(fs.readFileSync(file, 'utf8')).entries.map((e) => e.message);
}
const clientLog = (name: string, log: string) => messages(path.join(dirs(name).logDir, `${log}.log`));
const connectorLog = () => messages(path.join(siteLogs, 'SMS_CLOUD_PROXYCONNECTOR.log'));
/** The connection point logs a forwarded response once it is sent, after the client may have it: wait for every one. */
const connectorSettled = () =>
  waitForChange(siteLogs, () => {
    const lines = connectorLog();
    const count = (start: string) => lines.filter((line) => line.startsWith(start)).length;
    return count('Forwarding proxy message ') === count('Received response ');
  });

async function ccmsetup(name: string): Promise<ReturnType<typeof runCli>> {
  const token = (
    await runCommand('BulkRegistrationTokenTool', ['/new', '--site-dir', siteDir], { cwd: work })
  ).stdout.split('\n')[4];
  const { clientDir, logDir } = dirs(name);
  return runCommand(
    'ccmsetup',
    [
      `/mp:https://${CMG}/CCM_Proxy_MutualAuth/${ROLE}`,
      `CCMHOSTNAME=${CMG}/CCM_Proxy_MutualAuth/${ROLE}`,
      'SMSSiteCode=ABC',
      `/regtoken:${token}`,
      ...[
        '--client-dir',
        clientDir,
        '--log-dir',
        logDir,
        '--netbios',
        name,
        '--connect-to',
        `${CMG}:443:127.0.0.1:${new URL(site.ready.cmg).port}`,
        '--ca-file',
        rootCa,
      ],
    ],
    { cwd: work },
  );
}

/** Every file of the client and its content: a failed start must change none. */
function snapshot(name: string): Record<string, string> {
  const { clientDir } = dirs(name);
  return Object.fromEntries(listFiles(clientDir).map((f) => [f, fs.readFileSync(path.join(clientDir, f), 'utf8')]));
}

beforeAll(async () => {
  work = tempDir();
  siteDir = path.join(work, 'site');
  siteLogs = path.join(work, 'logs', 'site');
  expect(
    (await ccmlab('site', 'init', '--site-dir', siteDir, '--site-code', 'ABC', '--cmg-name', CMG, '--role-id', ROLE))
      .code,
  ).toBe(0);
  rootCa = (
    JSON.parse((await ccmlab('site', 'show', '--json', '--site-dir', siteDir)).stdout) as { rootCaFile: string }
  ).rootCaFile;
  site = await startSiteProcess(['--site-dir', siteDir, '--log-dir', siteLogs], { cwd: work });
});

afterAll(async () => {
  await site.stop();
  removeDir(work);
});

afterEach(async () => {
  // Each test starts from the default: Enhanced HTTP, no connection point certificate.
  await setting('mp.enhancedHttp', 'true');
  await setting('connector.clientAuthCertificate', 'false');
});

test('without Enhanced HTTP, client start fails on its location refresh with the published 403 lines, and recovers when the connection point gets a certificate', async () => {
  expect((await ccmsetup('CONN01')).code).toBe(0);
  expect((await clientStart('CONN01')).code).toBe(0);
  const before = snapshot('CONN01');
  const locationLines = clientLog('CONN01', 'LocationServices').length;
  await connectorSettled();
  const connectorLines = connectorLog().length;

  expect((await setting('mp.enhancedHttp', 'false')).code).toBe(0);
  const refused = await clientStart('CONN01');
  expect(refused.code).toBe(1);
  expect(refused.stderr.trim().split('\n')).toHaveLength(1);
  expect(refused.stderr).toMatch(
    /^ccmlab: error CCMCLIENT_E_BAD_HTTP_STATUS: the CMG connection point could not reach the management point \(403 CMGConnector_Clientcertificaterequired\): .*client authentication certificate.*'ccmlab site config set mp\.enhancedHttp true'/,
  );
  expect(snapshot('CONN01')).toEqual(before);

  const location = parseCmTrace(
    fs.readFileSync(path.join(dirs('CONN01').logDir, 'LocationServices.log'), 'utf8'),
  ).entries.slice(locationLines);
  const url = `https://${CMG}/CCM_Proxy_ServerAuth/${ROLE}/SMS_MP/.sms_aut?SITESIGNCERT`;
  expect(location.filter((e) => e.type === 3).map((e) => e.message)).toEqual([
    `[CCMHTTP] ERROR: URL=${url}, Port=443, Options=31, Code=0, Text=CCM_E_BAD_HTTP_STATUS_CODE`,
    `[CCMHTTP] ERROR INFO: StatusCode= 403 StatusText= ${REASON}`,
  ]);
  expect(location[0].message).toBe(
    `ccmhttp: Host=${CMG}, Path=/CCM_Proxy_ServerAuth/${ROLE}/SMS_MP/.sms_aut?SITESIGNCERT, Port=443, Protocol=https, CcmTokenAuth=1, Flags=0x4200, Options=0x1e0`,
  );

  const connector = connectorLog().slice(connectorLines);
  const id = new RegExp(
    `^Forwarding proxy message (${GUID}) to URL: https://${MP}/SMS_MP/\\.sms_aut\\?SITESIGNCERT$`,
  ).exec(connector[0])?.[1];
  expect(id).toBeDefined();
  expect(connector).toEqual([
    `Forwarding proxy message ${id} to URL: https://${MP}/SMS_MP/.sms_aut?SITESIGNCERT`,
    'Filtered cert count with allowed root CA: 3',
    'Filtered cert count with client auth: 0',
    [
      `Web exception for message ${id}: System.Net.WebException: The remote server returned an error: (403) Forbidden.`,
      '  at System.Net.HttpWebRequest.EndGetResponse(IAsyncResult asyncResult)',
      '  at Microsoft.ConfigurationManager.CloudConnection.ProxyConnector.ConnectionBase.InternalResponseCallBack(IAsyncResult asynchronousResult)',
    ].join('\r\n'),
    `Received response https://${MP}/SMS_MP/.sms_aut?SITESIGNCERT for message ${id}: HTTP/1.1 403 ${REASON}`,
  ]);

  // The connection point given a client authentication certificate: the MP takes it again.
  expect((await setting('connector.clientAuthCertificate', 'true')).code).toBe(0);
  const recovered = await clientStart('CONN01');
  expect([recovered.code, recovered.stderr]).toEqual([0, '']);
  const retrieved = clientLog('CONN01', 'LocationServices').filter((m) => m.startsWith('Retrieved '));
  expect(retrieved.slice(-2)).toEqual([
    `Retrieved SITESIGNCERT from https://${CMG}/CCM_Proxy_ServerAuth/${ROLE}.`,
    `Retrieved MPLIST from https://${CMG}/CCM_Proxy_ServerAuth/${ROLE}.`,
  ]);
  await connectorSettled();
  const after = connectorLog();
  expect(after).toContain('Filtered cert count with client auth: 1');
  expect(after[after.length - 1]).toMatch(
    new RegExp(`^Received response https://${MP}/SMS_MP/\\.sms_aut\\?MPLIST for message ${GUID}: HTTP/1\\.1 200 OK$`),
  );

  // Or Enhanced HTTP back on: no client certificate is needed.
  await setting('connector.clientAuthCertificate', 'false');
  expect((await setting('mp.enhancedHttp', 'true')).code).toBe(0);
  expect((await clientStart('CONN01')).code).toBe(0);
});

test('ccmsetup through the CMG without Enhanced HTTP fails at registration, its first forwarded request, with the same 403 lines', async () => {
  expect((await setting('mp.enhancedHttp', 'false')).code).toBe(0);
  const connectorLines = fs.existsSync(path.join(siteLogs, 'SMS_CLOUD_PROXYCONNECTOR.log')) ? connectorLog().length : 0;
  const r = await ccmsetup('CONN02');
  expect(r.code).toBe(6);
  expect(r.stderr.trim().split('\n')).toHaveLength(1);
  expect(r.stderr).toMatch(
    /^ccmsetup: error CCMCLIENT_E_BAD_HTTP_STATUS: the CMG connection point could not reach the management point \(403 CMGConnector_Clientcertificaterequired\)/,
  );
  expect(fs.existsSync(path.join(dirs('CONN02').clientDir, 'client.json'))).toBe(false);
  const messaging = clientLog('CONN02', 'CcmMessaging');
  const url = `https://${CMG}/CCM_Proxy_ServerAuth/${ROLE}/ccm_system_tokenauth/request`;
  const at = messaging.indexOf(
    `[CCMHTTP] ERROR: URL=${url} , Port=443, Options=224, Code=0, Text=CCM_E_BAD_HTTP_STATUS_CODE`,
  );
  expect(at).toBeGreaterThan(0);
  expect(messaging[at + 1]).toBe(`[CCMHTTP] ERROR INFO: StatusCode= 403 StatusText= ${REASON}`);
  // ServiceMetadata is the CMG's own: the first request the connection point forwards is the registration.
  const connector = connectorLog().slice(connectorLines);
  const id = new RegExp(`^Forwarding proxy message (${GUID}) to URL: https://${MP}/ccm_system_tokenauth/request$`).exec(
    connector[0],
  )?.[1];
  expect(id).toBeDefined();
  expect(connector[connector.length - 1]).toBe(
    `Received response https://${MP}/ccm_system_tokenauth/request for message ${id}: HTTP/1.1 403 ${REASON}`,
  );
});
