import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import { parseCmTrace } from '../../src/log/cmtrace-parse';
import { issueCertificate } from '../../src/pki/certificates';
import { clientTokenHeaders, registration, type Identity } from '../support/independent-encoder';
import { request } from '../support/https-client';
import { authenticateMessage, negotiateMessage } from '../support/ntlm-client';
import { removeDir, tempDir } from '../support/paths';
import { runCommand } from '../support/run-command';
import { startSiteProcess, type SiteProcess } from '../support/site-process';
import { ccmPost, newBulkToken, registrationStatus, ROLE, siteClients } from '../support/test-site';

/**
 * Replayed registrations against a real site process: a CMG client's signed registration,
 * recorded and sent again anonymously or over Windows authentication, years later (the lab
 * clock moved with `ccmlab clock set`) or at once, and fresh requests of its key through
 * channels it did not register by. None of them changes how the client registered.
 */

let work: string;
let lab: string;
let site: SiteProcess;
const siteDir = () => path.join(lab, 'site');
const ccmlab = (...args: string[]) => runCommand('ccmlab', [...args, '--lab', lab], { cwd: work });
const TOKEN_AUTH = `/CCM_Proxy_ServerAuth/${ROLE}/ccm_system_tokenauth/request`;

beforeAll(async () => {
  work = tempDir();
  lab = path.join(work, 'lab');
  expect((await ccmlab('site', 'init', '--site-code', 'ABC')).code).toBe(0);
  site = await startSiteProcess(['--lab', lab], { cwd: work });
});
afterAll(async () => {
  await site?.stop();
  await ccmlab('clock', 'set', 'reset');
  removeDir(work);
});

function cmg(p: string, options: Parameters<typeof request>[1]) {
  const ca = fs.readFileSync(path.join(siteDir(), 'pki', 'sms-issuing.pem'), 'utf8');
  return request(`${site.ready.cmg.replace('127.0.0.1', 'localhost')}${p}`, { ca, ...options });
}

const anonymously = (body: Buffer) => request(`${site.ready.mp}/ccm_system/request`, ccmPost(body));

/** The NTLM handshake on one connection, then `body` as the authenticated machine account. */
async function withWindowsAuth(body: Buffer, domain: string, account: string) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const url = `${site.ready.mp}/ccm_system_windowsauth/request`;
  try {
    const challenged = await request(url, {
      agent,
      method: 'CCM_POST',
      headers: { authorization: `NTLM ${negotiateMessage().toString('base64')}` },
    });
    expect(challenged.status).toBe(401);
    const { headers } = ccmPost(body);
    return await request(url, {
      agent,
      ...ccmPost(body),
      headers: {
        ...headers,
        authorization: `NTLM ${authenticateMessage(domain, account, account.replace(/\$$/, '')).toString('base64')}`,
      },
    });
  } finally {
    agent.destroy();
  }
}

/** A client whose certificate outlives the years the lab clock moves. */
async function longLivedIdentity(netbios: string): Promise<Identity> {
  const now = Date.now();
  const cert = await issueCertificate({
    commonName: 'SMS',
    notBefore: new Date(now - 86_400_000),
    notAfter: new Date(now + 10 * 365 * 86_400_000),
    extendedKeyUsage: ['1.3.6.1.4.1.311.101'],
  });
  return {
    key: crypto.createPrivateKey(cert.privateKeyPem),
    certDer: new crypto.X509Certificate(cert.certificatePem).raw,
    netbios,
  };
}

const registrationLog = () =>
  parseCmTrace(fs.readFileSync(path.join(lab, 'logs', 'site', 'MP_RegistrationManager.log'), 'utf8')).entries;
const clientOf = (smsid: string) => siteClients(siteDir()).find((c) => c.smsid === smsid);

/** A client registered through the CMG with a bulk token; its first signed request, as recorded on the way. */
async function cmgClient(netbios: string) {
  const id = await longLivedIdentity(netbios);
  const { token, guid } = newBulkToken(siteDir());
  const recorded = registration(id, 'Registration', '', true);
  const bearer = { authorization: `Bearer ${token}` };
  const pending = registrationStatus((await cmg(TOKEN_AUTH, ccmPost(recorded, bearer))).body);
  const confirmed = registrationStatus(
    (await cmg(TOKEN_AUTH, ccmPost(registration(id, 'Confirmation', pending.SMSID, true), bearer))).body,
  );
  expect(confirmed).toEqual({ Status: '0', SMSID: pending.SMSID });
  expect(clientOf(pending.SMSID)).toMatchObject({
    registeredBy: 'bulk-token',
    bulkTokenGuid: guid,
    account: null,
    approval: 'bulk-token',
    internetFlag: true,
    state: 'registered',
  });
  return { id, smsid: pending.SMSID, recorded, token, guid };
}

describe('replayed registrations', () => {
  test('a recorded registration replayed years later, anonymously or with Windows authentication, cannot be processed and changes nothing', async () => {
    const { smsid, recorded } = await cmgClient('ROAM01');
    const before = clientOf(smsid);
    expect((await ccmlab('clock', 'set', '+1095d')).code).toBe(0);
    try {
      for (const replay of [() => anonymously(recorded), () => withWindowsAuth(recorded, 'LAB', 'EVIL01$')]) {
        const r = await replay();
        expect(r.status).toBe(200);
        expect(registrationStatus(r.body).Status).toBe('2');
      }
    } finally {
      expect((await ccmlab('clock', 'set', 'reset')).code).toBe(0);
    }
    expect(clientOf(smsid)).toEqual(before);
    const refused = registrationLog().filter(
      (e) =>
        e.type === 3 &&
        /^Registration from ROAM01 .* could not be processed: its TimeStamp \d\d\/\d\d\/\d{4} \d\d:\d\d:\d\d is 109[45] days before the site's clock/.test(
          e.message,
        ),
    );
    expect(refused.map((e) => e.message)).toEqual([
      expect.stringMatching(/on the intranet could not/),
      expect.stringMatching(/Windows-authenticated as machine account LAB\\EVIL01\$ could not/),
    ]);
  });

  test('the same request replayed at once, anonymously, with Windows authentication or through the CMG after a restart, changes nothing', async () => {
    const { smsid, recorded, token } = await cmgClient('ROAM02');
    const before = clientOf(smsid);
    for (const replay of [() => anonymously(recorded), () => withWindowsAuth(recorded, 'LAB', 'EVIL02$')]) {
      expect(registrationStatus((await replay()).body)).toEqual({ Status: '0', SMSID: smsid });
    }
    // The site remembers what it accepted across a restart.
    await site.stop();
    site = await startSiteProcess(['--lab', lab], { cwd: work });
    expect(
      registrationStatus((await cmg(TOKEN_AUTH, ccmPost(recorded, { authorization: `Bearer ${token}` }))).body),
    ).toEqual({ Status: '0', SMSID: smsid });
    expect(clientOf(smsid)).toEqual(before);
    const resent = registrationLog().filter(
      (e) =>
        e.type === 2 &&
        e.message.startsWith('Registration from ROAM02 ') &&
        e.message.includes('was accepted before (a resend or a replay), so it changes nothing'),
    );
    expect(resent).toHaveLength(3);
  });

  test('fresh requests of its key through another channel keep how it registered; its own client token sets it', async () => {
    const { id, smsid, token, guid } = await cmgClient('ROAM03');
    const channel = () => {
      const c = clientOf(smsid);
      return {
        registeredBy: c?.registeredBy,
        bulkTokenGuid: c?.bulkTokenGuid,
        account: c?.account,
        approval: c?.approval,
        internetFlag: c?.internetFlag,
      };
    };
    const before = channel();
    const minuteAgo = new Date(Date.now() - 60_000);
    expect(registrationStatus((await anonymously(registration(id, 'Registration', smsid, false))).body)).toEqual({
      Status: '0',
      SMSID: smsid,
    });
    expect(
      registrationStatus(
        (await withWindowsAuth(registration(id, 'Registration', smsid, false, id.netbios, minuteAgo), 'LAB', 'EVIL03$'))
          .body,
      ),
    ).toEqual({ Status: '0', SMSID: smsid });
    expect(channel()).toEqual(before);
    expect(
      registrationLog().filter(
        (e) =>
          e.type === 2 &&
          /^Registration from ROAM03 .*It registered with bulk registration token \S+, which a request through another channel does not change\.$/.test(
            e.message,
          ),
      ),
    ).toHaveLength(2);
    // Its own client token, with the proof of its key on the request: the channel is its own.
    const sts = await cmg(`/CCM_Proxy_ServerAuth/${ROLE}/CCM_STS`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, ...clientTokenHeaders(smsid, id.key, new Date()) },
    });
    const clientToken = (JSON.parse(sts.body.toString()) as { token: string }).token;
    const own = await cmg(
      TOKEN_AUTH,
      ccmPost(registration(id, 'Registration', smsid, true, id.netbios, new Date(Date.now() - 120_000)), {
        authorization: `Bearer ${clientToken}`,
        ...clientTokenHeaders(smsid, id.key, new Date()),
      }),
    );
    expect(registrationStatus(own.body)).toEqual({ Status: '0', SMSID: smsid });
    expect(channel()).toEqual({ ...before, registeredBy: 'client-token', bulkTokenGuid: guid });
  });
});
