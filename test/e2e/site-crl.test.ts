import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { crlDistributionPoints, readCrl } from '../../src/pki/crl';
import { request } from '../support/https-client';
import { removeDir, tempDir } from '../support/paths';
import { runCommand } from '../support/run-command';
import { startSiteProcess, type SiteProcess } from '../support/site-process';

/** The site's CRL: published at the MP, naming revoked certificates, signed by the root. */

let work: string;
let lab: string;
let site: SiteProcess;
const ccmlab = (...args: string[]) => runCommand('ccmlab', [...args, '--lab', lab], { cwd: work });
const pki = (file: string) => path.join(lab, 'site', 'pki', file);
const cert = (file: string) => new crypto.X509Certificate(fs.readFileSync(pki(file), 'utf8'));

beforeAll(async () => {
  work = tempDir();
  lab = path.join(work, 'lab');
  expect(
    (await ccmlab('site', 'init', '--site-code', 'ABC', '--mp-name', 'mp01.contoso.com', '--crl-distribution-point'))
      .code,
  ).toBe(0);
  site = await startSiteProcess(['--lab', lab], { cwd: work });
});
afterAll(async () => {
  await site.stop();
  removeDir(work);
});

async function crl() {
  const r = await request(`${site.ready.mp}/CRL/sms-issuing.crl`);
  expect(r.status).toBe(200);
  expect(r.headers['content-type']).toBe('application/pkix-crl');
  return readCrl(r.body, cert('sms-issuing.pem').publicKey);
}

test('the MP and CMG certificates name the CRL at the MP; it verifies with the root and starts empty', async () => {
  for (const file of ['cmg.pem', 'role-ssl.pem'])
    expect(crlDistributionPoints(cert(file).raw)).toEqual(['http://mp01.contoso.com/CRL/sms-issuing.crl']);
  expect((await crl()).revokedSerials.size).toBe(0);
});

test('site certs revoke cmg lists its serial; renewing replaces the certificate, which is not listed', async () => {
  const revokedSerial = cert('cmg.pem').serialNumber.toUpperCase();
  const revoke = await ccmlab('site', 'certs', 'revoke', 'cmg', '--json');
  expect(revoke.code).toBe(0);
  expect(JSON.parse(revoke.stdout)).toMatchObject({ certificate: 'cmg', serial: revokedSerial, changed: true });
  expect([...(await crl()).revokedSerials]).toEqual([revokedSerial.replace(/^(00)+/, '')]);
  expect(JSON.parse((await ccmlab('site', 'certs', 'revoke', 'cmg', '--json')).stdout).changed).toBe(false);
  expect((await ccmlab('site', 'certs', 'renew', 'cmg')).code).toBe(0);
  const renewed = cert('cmg.pem');
  expect(renewed.serialNumber.toUpperCase()).not.toBe(revokedSerial);
  expect((await crl()).revokedSerials.has(renewed.serialNumber.toUpperCase())).toBe(false);
});
