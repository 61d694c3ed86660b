import * as http from 'node:http';
import { registration } from '../support/independent-encoder';
import { request } from '../support/https-client';
import { authenticateMessage, negotiateMessage, readChallenge } from '../support/ntlm-client';
import { ccmPost, registrationStatus, startTestSite, testIdentity, type TestSite } from '../support/test-site';

let site: TestSite;
beforeAll(async () => {
  site = await startTestSite();
});
afterAll(() => site.stop());

const WINDOWSAUTH = '/ccm_system_windowsauth/request';

function mpRequest(agent: http.Agent, path: string, options: Parameters<typeof request>[1] = {}) {
  return request(`${site.running.ready.mp}${path}`, { agent, ...options });
}

describe('Windows-authenticated registration (NTLM)', () => {
  test('without authentication: 401 with Negotiate and NTLM', async () => {
    const r = await site.mp(WINDOWSAUTH, { method: 'CCM_POST' });
    expect(r.status).toBe(401);
    expect(r.rawHeaders.filter((_h, i, all) => i % 2 === 1 && all[i - 1].toLowerCase() === 'www-authenticate')).toEqual(
      ['Negotiate', 'NTLM'],
    );
  });

  test.each(['NTLM', 'Negotiate'])(
    'a machine account registers through the %s handshake on one connection',
    async (scheme) => {
      const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
      try {
        const id = await testIdentity(`NTLM${scheme.slice(0, 3).toUpperCase()}01`);
        const first = await mpRequest(agent, WINDOWSAUTH, {
          ...ccmPost(registration(id, 'Registration', '', false)),
          headers: {
            ...ccmPost(Buffer.alloc(0)).headers,
            authorization: `${scheme} ${negotiateMessage().toString('base64')}`,
          },
        });
        expect(first.status).toBe(401);
        const challenge = readChallenge(first.headers['www-authenticate'] as string);
        expect(challenge.challenge).toHaveLength(8);
        expect(challenge.targetName).toBe('LAB');
        expect(challenge.avPairs.get(3)?.toString('utf16le')).toBe('mp01.lab.test');
        const account = `${id.netbios}$`;
        const second = await mpRequest(agent, WINDOWSAUTH, {
          ...ccmPost(registration(id, 'Registration', '', false)),
          headers: {
            ...ccmPost(Buffer.alloc(0)).headers,
            authorization: `${scheme} ${authenticateMessage('', account, id.netbios).toString('base64')}`,
          },
        });
        expect(second.reusedSocket).toBe(true);
        expect(second.status).toBe(200);
        const pending = registrationStatus(second.body);
        expect(pending.Status).toBe('1');
        // The connection stays authenticated: the confirmation needs no new handshake.
        const confirmed = await mpRequest(
          agent,
          WINDOWSAUTH,
          ccmPost(registration(id, 'Confirmation', pending.SMSID, false)),
        );
        expect(registrationStatus(confirmed.body)).toEqual({ Status: '0', SMSID: pending.SMSID });
        expect(site.clients().find((c) => c.smsid === pending.SMSID)).toMatchObject({
          registeredBy: 'windows-auth',
          account,
          approval: 'trusted-domain',
          state: 'registered',
        });
        expect(
          site.logEntries('MP_RegistrationManager').some((e) => e.message.includes(`machine account '${account}'`)),
        ).toBe(true);
      } finally {
        agent.destroy();
      }
    },
  );

  test('a domain account is recorded with its domain; site clients list shows it', async () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const id = await testIdentity('DOMPC01');
      await mpRequest(agent, WINDOWSAUTH, {
        method: 'CCM_POST',
        headers: { authorization: `NTLM ${negotiateMessage().toString('base64')}` },
      });
      const r = await mpRequest(agent, WINDOWSAUTH, {
        ...ccmPost(registration(id, 'Registration', '', false)),
        headers: {
          ...ccmPost(Buffer.alloc(0)).headers,
          authorization: `NTLM ${authenticateMessage('CONTOSO', 'DOMPC01$', 'DOMPC01').toString('base64')}`,
        },
      });
      const { SMSID } = registrationStatus(r.body);
      expect(site.clients().find((c) => c.smsid === SMSID)?.account).toBe('CONTOSO\\DOMPC01$');
    } finally {
      agent.destroy();
    }
  });

  test.each([
    ['a truncated AUTHENTICATE message', () => authenticateMessage('CONTOSO', 'PC$', 'PC').subarray(0, 50), 400],
    [
      'an AUTHENTICATE message whose fields point past its end',
      () => {
        const m = authenticateMessage('CONTOSO', 'PC$', 'PC');
        m.writeUInt32LE(60_000, 40);
        return m;
      },
      400,
    ],
    ['garbage', () => Buffer.from('not ntlm at all'), 400],
    [
      'an AUTHENTICATE message on a connection that had no challenge',
      () => authenticateMessage('CONTOSO', 'PC$', 'PC'),
      401,
    ],
    ['a header over 16 KiB', () => Buffer.concat([Buffer.from('NTLMSSP\0', 'latin1'), Buffer.alloc(20 * 1024)]), 400],
  ])('%s is refused with a log line, and the next request is served', async (_name, make, status) => {
    const before = site.logEntries('MP_RegistrationManager').length;
    const r = await site.mp(WINDOWSAUTH, {
      method: 'CCM_POST',
      headers: { authorization: `NTLM ${make().toString('base64')}` },
    });
    expect(r.status).toBe(status);
    expect(site.logEntries('MP_RegistrationManager').length).toBeGreaterThan(before);
    expect((await site.mp('/SMS_MP/.sms_aut?MPLIST')).status).toBe(200);
  });
});
