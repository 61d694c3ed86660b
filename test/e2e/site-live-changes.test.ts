import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tls from 'node:tls';
import { systemClock } from '../../src/core/clock';
import { parseCmTrace } from '../../src/log/cmtrace-parse';
import { openSite, renewSiteCertificate } from '../../src/site/site-dir';
import { type RunningSite } from '../../src/site/site-server';
import { labAt } from '../../src/world/lab';
import { labClock } from '../../src/world/lab-clock';
import { request } from '../support/https-client';
import { removeDir, tempDir } from '../support/paths';
import { newBulkToken, initLabSite, startOnLoopback } from '../support/test-site';
import { runCli } from '../support/run-cli';

/**
 * The running site keeps what it derives from its files (keys, certificates, the lab clock,
 * settings) between requests; a change made while it runs, by another process or this one,
 * still reaches its next request or connection.
 */

let work: string;
let lab: string;
let siteDir: string;
let logDir: string;
let site: RunningSite;
let ca: string;

beforeAll(async () => {
  work = tempDir();
  lab = path.join(work, 'lab');
  siteDir = path.join(work, 'site');
  logDir = path.join(work, 'logs');
  fs.mkdirSync(lab);
  await initLabSite(siteDir);
  site = await startOnLoopback(siteDir, logDir, labClock(labAt(lab)));
  ca = fs.readFileSync(path.join(siteDir, 'pki', 'sms-issuing.pem'), 'utf8');
});
afterAll(async () => {
  await site.stop();
  removeDir(work);
});

const siteCommand = (...args: string[]) =>
  runCli('ccmlab', ['site', ...args, '--site-dir', siteDir, '--log-dir', logDir, '--lab', lab], { cwd: work });
const clockSet = (value: string) => runCli('ccmlab', ['clock', 'set', value, '--lab', lab], { cwd: work });
const serviceMetadata = (token: string) =>
  request(`${site.ready.cmg.replace('127.0.0.1', 'localhost')}/CCM_Proxy_ServerAuth/ServiceMetadata`, {
    ca,
    headers: { authorization: `Bearer ${token}` },
  });
const stsLines = () =>
  parseCmTrace(fs.readFileSync(path.join(logDir, 'CCM_STS.log'), 'utf8')).entries.map((e) => e.message);
const thumbprintOf = (pem: string) => new crypto.X509Certificate(pem).fingerprint256;
const certificateFile = (name: string) => fs.readFileSync(path.join(siteDir, 'pki', `${name}.pem`), 'utf8');

/** One TLS handshake with a listener: the certificate it presented (none on a resumed session), whether the session was resumed, and the session to offer next. */
function handshake(
  url: string,
  session?: Buffer,
): Promise<{ thumbprint: string | undefined; reused: boolean; session: Buffer }> {
  const socket = tls.connect({
    host: '127.0.0.1',
    port: Number(new URL(url).port),
    ca,
    servername: 'localhost',
    session,
  });
  // TLS 1.3 gives the session after the handshake, read like any data.
  const given = new Promise<Buffer>((resolve) => socket.once('session', resolve));
  socket.resume();
  return new Promise((resolve, reject) => {
    socket.once('secureConnect', () => {
      const raw = socket.getPeerCertificate().raw as Buffer | undefined;
      const facts = {
        thumbprint: raw ? new crypto.X509Certificate(raw).fingerprint256 : undefined,
        reused: socket.isSessionReused(),
      };
      // A resumed session is given no new ticket: it stays the one to offer.
      void (facts.reused && session ? Promise.resolve(session) : given).then((next) => {
        socket.destroy();
        resolve({ ...facts, session: next });
      });
    });
    socket.on('error', reject);
  });
}

test('TLS sessions resume on the CMG and on the MP over HTTPS, client certificates requested and all', async () => {
  for (const url of [site.ready.cmg, site.ready.mpHttps]) {
    const first = await handshake(url);
    const second = await handshake(url, first.session);
    expect([first.reused, second.reused]).toEqual([false, true]);
  }
});

test('site certs renew cmg (another process): the next connection gets the new certificate', async () => {
  const before = await handshake(site.ready.cmg);
  expect(before.thumbprint).toBe(thumbprintOf(certificateFile('cmg')));
  expect((await siteCommand('certs', 'renew', 'cmg')).code).toBe(0);
  const after = await handshake(site.ready.cmg);
  expect(after.thumbprint).not.toBe(before.thumbprint);
  expect(after.thumbprint).toBe(thumbprintOf(certificateFile('cmg')));
});

test('site certs renew token-signing (another process): the next request checks tokens with the new key', async () => {
  const old = newBulkToken(siteDir).token;
  expect((await serviceMetadata(old)).status).toBe(200);
  expect((await siteCommand('certs', 'renew', 'token-signing')).code).toBe(0);
  const refused = await serviceMetadata(old);
  expect([refused.status, refused.reason]).toEqual([401, 'CMGService_Invalid_Token']);
  expect(stsLines().some((line) => line.includes('IDX10501: Signature validation failed. Unable to match key'))).toBe(
    true,
  );
  expect((await serviceMetadata(newBulkToken(siteDir).token)).status).toBe(200);
});

test('a renewal by this process reaches the MP at its next request (MPCERT, MPKEYINFORMATION)', async () => {
  const mpcert = async () => (await request(`${site.ready.mp}/SMS_MP/.sms_aut?MPCERT`)).body.toString();
  const keyInformation = async () =>
    (await request(`${site.ready.mp}/SMS_MP/.sms_aut?MPKEYINFORMATION`)).body.toString();
  const [certBefore, keyBefore] = [await mpcert(), await keyInformation()];
  const opened = openSite(siteDir);
  try {
    await renewSiteCertificate(opened, 'role-ssl', systemClock);
  } finally {
    opened.close();
  }
  const der = new crypto.X509Certificate(certificateFile('role-ssl')).raw.toString('hex').toUpperCase();
  expect(certBefore).not.toContain(der);
  expect(await mpcert()).toContain(der);
  expect(await keyInformation()).not.toBe(keyBefore);
});

test('clock set (another process) moves the running site at its next request', async () => {
  const { token } = newBulkToken(siteDir, 1);
  expect((await serviceMetadata(token)).status).toBe(200);
  try {
    expect((await clockSet('+10m')).code).toBe(0);
    expect((await serviceMetadata(token)).status).toBe(401);
    expect(
      stsLines().some((line) => line.includes('IDX10223: Lifetime validation failed. The token is expired.')),
    ).toBe(true);
  } finally {
    expect((await clockSet('reset')).code).toBe(0);
  }
  expect((await serviceMetadata(newBulkToken(siteDir, 1).token)).status).toBe(200);
});

test('site config set (another process) reaches the next request', async () => {
  const intranetSts = () => request(`${site.ready.mp}/CCM_STS`, { method: 'POST' });
  expect((await intranetSts()).status).toBe(401);
  try {
    expect((await siteCommand('config', 'set', 'tokens.intranet', 'false')).code).toBe(0);
    expect((await intranetSts()).status).toBe(403);
  } finally {
    expect((await siteCommand('config', 'set', 'tokens.intranet', 'true')).code).toBe(0);
  }
  expect((await intranetSts()).status).toBe(401);
});
