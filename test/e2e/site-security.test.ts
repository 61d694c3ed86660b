import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tls from 'node:tls';
import { clientTokenHeaders, message, registration, type Identity } from '../support/independent-encoder';
import {
  ccmPost,
  registerWithBulkToken,
  registrationStatus,
  ROLE,
  startTestSite,
  testIdentity,
  type TestSite,
} from '../support/test-site';

let site: TestSite;
beforeAll(async () => {
  site = await startTestSite();
});
afterAll(() => site.stop());

const FORGED = '<time="00:00:00.000+00"date="01-01-2000"component="Forged"context=""type="3"thread="1"file="x">';
const tokenAuth = `/CCM_Proxy_ServerAuth/${ROLE}/ccm_system_tokenauth/request`;

/** Raw bytes to the CMG over TLS: request targets Node's own client would refuse to send. */
function rawCmg(head: string): Promise<string> {
  const port = Number(new URL(site.running.ready.cmg).port);
  const ca = fs.readFileSync(path.join(site.siteDir, 'pki', 'sms-issuing.pem'), 'utf8');
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ port, host: '127.0.0.1', servername: 'localhost', ca }, () => socket.write(head));
    let text = '';
    socket.on('data', (d: Buffer) => (text += d.toString('latin1')));
    socket.on('end', () => resolve(text));
    socket.on('close', () => resolve(text));
    socket.on('error', reject);
  });
}

async function getClientToken(id: Identity, smsid: string, bulk: string): Promise<string> {
  const r = await site.cmg(`/CCM_Proxy_ServerAuth/${ROLE}/CCM_STS`, {
    method: 'POST',
    headers: { authorization: `Bearer ${bulk}`, ...clientTokenHeaders(smsid, id.key, new Date()) },
  });
  expect(r.status).toBe(200);
  return (JSON.parse(r.body.toString()) as { token: string }).token;
}

describe('log forgery from the wire', () => {
  test('hostile paths, token headers, ClientToken values, endpoints and names leave only genuine records', async () => {
    await rawCmg(
      `GET /CCM_Proxy_ServerAuth/1]LOG]!>${FORGED}<![LOG[forged HTTP/1.1\r\nHost: cmg\r\nConnection: close\r\n\r\n`,
    );
    await rawCmg(`GET /nowhere]LOG]!>${FORGED}<![LOG[forged HTTP/1.1\r\nHost: cmg\r\nConnection: close\r\n\r\n`);
    const header = Buffer.from(
      JSON.stringify({ typ: 'JWT', alg: `none]LOG]!>${FORGED}\r\n<![LOG[forged`, x5t: 'x' }),
    ).toString('base64url');
    await site.cmg('/CCM_Proxy_ServerAuth/ServiceMetadata', {
      headers: { authorization: `Bearer ${header}.e30.c2ln` },
    });
    await site.mp('/CCM_STS', {
      method: 'POST',
      headers: { ClientToken: `GUID:]LOG]!>${FORGED}<![LOG[forged`, ClientTokenSignature: '00' },
    });
    const id = await testIdentity('EVIL01');
    await site.mp(
      '/ccm_system/request',
      ccmPost(message(`X]LOG]!>${FORGED}\r\n<![CDATA[<![LOG[forged]]>`, 'EVIL01', '<x/>')),
    );
    await site.mp(
      '/ccm_system/request',
      ccmPost(registration({ ...id, netbios: `E]LOG]!&gt;\r\n&lt;![LOG[forged` }, 'Registration', '', false, 'EVIL01')),
    );
    const written = fs.readdirSync(site.logDir).filter((f) => f.endsWith('.log'));
    expect(written.length).toBeGreaterThanOrEqual(3);
    let neutralised = 0;
    for (const file of written) {
      const raw = fs.readFileSync(path.join(site.logDir, file), 'utf8');
      const entries = site.logEntries(file.replace(/\.log$/, ''));
      expect(raw.split('<![LOG[').length - 1).toBe(entries.length);
      for (const entry of entries) {
        expect(entry.component).toBe(file.replace(/\.log$/, ''));
        expect(entry.localDate).not.toBe('01-01-2000');
        expect(entry.message).not.toMatch(/^forged/);
      }
      neutralised += raw.split(']LOG]!&gt;').length - 1;
    }
    // The hostile values did reach the logs, neutralised.
    expect(neutralised).toBeGreaterThanOrEqual(2);
  });
});

describe("registration with another device's token", () => {
  test('a client token re-registers its own SMSID with its own key, never a new identity or another key', async () => {
    const { token: bulk, guid } = site.bulkToken();
    const owner = await testIdentity('OWNER01');
    const smsid = await registerWithBulkToken(site, owner, bulk);
    const clientToken = await getClientToken(owner, smsid, bulk);
    const asOwner = (body: Buffer) =>
      site.cmg(
        tokenAuth,
        ccmPost(body, { authorization: `Bearer ${clientToken}`, ...clientTokenHeaders(smsid, owner.key, new Date()) }),
      );
    const before = site.clients().length;
    const stranger = await testIdentity('NEW01');
    for (const attempt of [
      registration(stranger, 'Registration', '', true),
      registration(stranger, 'Registration', smsid, true),
      registration(stranger, 'Confirmation', smsid, true),
    ]) {
      const r = await asOwner(attempt);
      expect(r.status).toBe(200);
      expect(['2', '3']).toContain(registrationStatus(r.body).Status);
    }
    const otherSmsid = 'GUID:0B3C3E46-9B0A-4B7D-9C5A-1E2F3A4B5C6D';
    expect(registrationStatus((await asOwner(registration(owner, 'Registration', otherSmsid, true))).body).Status).toBe(
      '3',
    );
    expect(site.clients()).toHaveLength(before);
    const again = registrationStatus((await asOwner(registration(owner, 'Registration', smsid, true))).body);
    expect(again).toEqual({ Status: '0', SMSID: smsid });
    const record = site.clients().find((c) => c.smsid === smsid);
    expect(record).toMatchObject({ registeredBy: 'client-token', bulkTokenGuid: guid, state: 'registered' });
    expect(site.logEntries('MP_RegistrationManager').some((e) => /re-registers only that SMSID/.test(e.message))).toBe(
      true,
    );
  });
});

describe('unbounded fields', () => {
  test.each([
    ['a NetBIOS name of 200,000 characters', (id: Identity) => ({ ...id, netbios: 'N'.repeat(200_000) })],
    ['a NetBIOS name of 16 characters', (id: Identity) => ({ ...id, netbios: 'N'.repeat(16) })],
    ['a NetBIOS name with a space', (id: Identity) => ({ ...id, netbios: 'NAME 01' })],
  ])('%s gets a framed Status 2 and is not stored', async (_name, edit) => {
    const before = site.clients().length;
    const r = await site.mp(
      '/ccm_system/request',
      ccmPost(registration(edit(await testIdentity('BOUND01')), 'Registration', '', false, 'BOUND01')),
    );
    expect(r.status).toBe(200);
    expect(registrationStatus(r.body).Status).toBe('2');
    expect(site.clients()).toHaveLength(before);
    expect(site.logEntries('MP_RegistrationManager').at(-1)?.message).toMatch(
      /Netbios Name \(\d+ characters\) is beyond its limit/,
    );
  });

  test('header fields beyond their limits get 400 and a log line', async () => {
    for (const endpoint of ['E'.repeat(65), 'MP_Client Registration', 'MP_ClientRegistration\r\n']) {
      const r = await site.mp('/ccm_system/request', ccmPost(message(endpoint, 'HOST01', '<x/>')));
      expect(r.status).toBe(400);
    }
    const source = await site.mp(
      '/ccm_system/request',
      ccmPost(message('MP_LocationManager', 'S'.repeat(300), '<x/>')),
    );
    expect(source.status).toBe(400);
    expect(site.logEntries('MP_RegistrationManager').at(-1)?.message).toMatch(
      /BAD_HEADER: <sourceHost> is 300 characters, more than the 255 allowed/,
    );
  });
});
