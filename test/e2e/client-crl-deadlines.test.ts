import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { parseCmTrace } from '../../src/log/cmtrace-parse';
import { removeDir, tempDir } from '../support/paths';
import { runCommand } from '../support/run-command';
import { startSiteProcess, type SiteProcess } from '../support/site-process';

/**
 * ccmsetup against hostile CRL points: one on the CMG itself over https (reachable only
 * through the connection it is to vouch for), and one whose server drips a byte at a time.
 * Each is refused, ccmsetup exits non-zero with its exit line, and leaves no lock.
 */

const CMG_HOST = 'CONTOSO.CLOUDAPP.NET';
const CMG = `${CMG_HOST}/CCM_Proxy_MutualAuth/72186325152220500`;
let work: string;
let lab: string;
let site: SiteProcess;
const run = (bin: 'ccmlab' | 'ccmsetup' | 'BulkRegistrationTokenTool', args: string[], timeoutMs?: number) =>
  runCommand(bin, [...args, '--lab', lab], { cwd: work, timeoutMs });
const setupLog = (netbios: string) =>
  parseCmTrace(fs.readFileSync(path.join(lab, 'logs', 'clients', netbios, 'ccmsetup.log'), 'utf8')).entries.map(
    (e) => e.message,
  );

/** The CMG's certificate renewed to name `url` as its CRL distribution point (the site reads site.json when it renews). */
async function cmgCrlAt(url: string): Promise<void> {
  const file = path.join(lab, 'site', 'site.json');
  const config = JSON.parse(fs.readFileSync(file, 'utf8')) as { crlDistributionPoint: string | null };
  fs.writeFileSync(file, JSON.stringify({ ...config, crlDistributionPoint: url }));
  expect((await run('ccmlab', ['site', 'certs', 'renew', 'cmg'])).code).toBe(0);
}

async function ccmsetup(netbios: string, extra: string[] = []) {
  const token = (await run('BulkRegistrationTokenTool', ['/new'])).stdout.split('\n')[4];
  return run(
    'ccmsetup',
    [
      `/mp:https://${CMG}`,
      `CCMHOSTNAME=${CMG}`,
      'SMSSiteCode=ABC',
      `/regtoken:${token}`,
      '--netbios',
      netbios,
      ...extra,
    ],
    60_000,
  );
}

function expectRevocationFailed(netbios: string): void {
  const lines = setupLog(netbios);
  expect(lines).toContain('[CCMHTTP]            : WINHTTP_CALLBACK_STATUS_FLAG_CERT_REV_FAILED is set');
  expect(lines).toContain(
    `[CCMHTTP] ERROR: URL=https://${CMG_HOST}/CCM_Proxy_ServerAuth/ServiceMetadata, Port=443, Options=63, Code=12175, Text=ERROR_WINHTTP_SECURE_FAILURE`,
  );
  expect(lines.at(-1)).toBe('CcmSetup failed with error code 0x80072F8F');
  expect(fs.existsSync(path.join(lab, 'clients', netbios, 'ccmsetup.lock'))).toBe(false);
  expect(fs.existsSync(path.join(lab, 'clients', netbios, 'client.json'))).toBe(false);
}

beforeAll(async () => {
  work = tempDir();
  lab = path.join(work, 'lab');
  expect(
    (
      await run('ccmlab', [
        'site',
        'init',
        '--site-code',
        'ABC',
        '--cmg-name',
        CMG_HOST,
        '--role-id',
        '72186325152220500',
        '--mp-name',
        'mp01.contoso.com',
        '--crl-distribution-point',
      ])
    ).code,
  ).toBe(0);
  site = await startSiteProcess(['--lab', lab], { cwd: work });
});
afterAll(async () => {
  await site.stop();
  removeDir(work);
});

test('an https CRL point on the CMG itself: refused at once as CERT_REV_FAILED, exit 6, no lock left', async () => {
  await cmgCrlAt(`https://${CMG_HOST}/CRL/sms-issuing.crl`);
  const r = await ccmsetup('CRLSELF1');
  expect(r.stderr).toMatch(
    new RegExp(
      `^ccmsetup: error CCMCLIENT_E_SECURE_FAILURE: .*CERT_REV_FAILED: the CRL at https://${CMG_HOST}/CRL/sms-issuing.crl cannot be used \\(it can only be fetched through the connection to 127\\.0\\.0\\.1:\\d+ that it is to vouch for`,
    ),
  );
  expect(r.code).toBe(6);
  expectRevocationFailed('CRLSELF1');
});

test('a CRL server that drips a byte at a time: CERT_REV_FAILED at the 15 s CRL deadline, exit 6', async () => {
  // The product's own deadline: the drip (a byte every 200 ms) never trips an idle timeout.
  let dripped = 0;
  const sockets = new Set<net.Socket>();
  const drip = net.createServer((socket) => {
    sockets.add(socket);
    const reply = Buffer.from(
      `HTTP/1.1 200 OK\r\nContent-Type: application/pkix-crl\r\nContent-Length: 100000\r\n\r\n${'0'.repeat(100_000)}`,
    );
    const timer = setInterval(() => socket.write(reply.subarray(dripped, ++dripped)), 200);
    socket.on('error', () => undefined);
    socket.on('close', () => clearInterval(timer));
  });
  await new Promise<void>((resolve) => drip.listen(0, '127.0.0.1', resolve));
  try {
    await cmgCrlAt('http://crl.drip.test/sms-issuing.crl');
    const r = await ccmsetup('CRLDRIP1', [
      '--connect-to',
      `crl.drip.test:80:127.0.0.1:${(drip.address() as net.AddressInfo).port}`,
    ]);
    expect(r.stderr).toMatch(
      /CCMCLIENT_E_SECURE_FAILURE: .*CERT_REV_FAILED: the CRL at http:\/\/crl\.drip\.test\/sms-issuing\.crl cannot be used \(no complete answer within 15 s\)/,
    );
    expect(r.code).toBe(6);
    expect(dripped).toBeGreaterThan(0);
    expectRevocationFailed('CRLDRIP1');
  } finally {
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => drip.close(() => resolve()));
  }
}, 90_000);
