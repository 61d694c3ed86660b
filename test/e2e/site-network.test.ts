import { spawn } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as https from 'node:https';
import * as net from 'node:net';
import * as path from 'node:path';
import * as tls from 'node:tls';
import * as zlib from 'node:zlib';
import { XMLValidator } from 'fast-xml-parser';
import { issueCertificate } from '../../src/pki/certificates';
import { setBulkTokenBlocked } from '../../src/site/bulk-tokens';
import { openSite } from '../../src/site/site-dir';
import { labAt } from '../../src/world/lab';
import { labClock, setLabClock } from '../../src/world/lab-clock';
import { type RunningSite } from '../../src/site/site-server';
import { writeSetting } from '../../src/site/settings';
import { parseCmTrace } from '../../src/log/cmtrace-parse';
import {
  clientTokenHeaders,
  CONTENT_TYPE,
  message,
  registration,
  replyText,
  type Identity,
} from '../support/independent-encoder';
import { request } from '../support/https-client';
import { fixture, removeDir, tempDir } from '../support/paths';
import { runCommand } from '../support/run-command';
import { newBulkToken as issueBulkTokenIn, initLabSite, ROLE, startOnLoopback } from '../support/test-site';
import { waitForOutput } from '../support/wait-for';

let work: string;
let siteDir: string;
let logDir: string;
let site: RunningSite;
let ca: string;
let cmgBase: string;

async function identity(netbios: string): Promise<Identity> {
  const now = Date.now();
  const cert = await issueCertificate({
    commonName: netbios,
    notBefore: new Date(now - 86_400_000),
    notAfter: new Date(now + 365 * 86_400_000),
    extendedKeyUsage: ['1.3.6.1.4.1.311.101'],
  });
  return {
    key: crypto.createPrivateKey(cert.privateKeyPem),
    certDer: new crypto.X509Certificate(cert.certificatePem).raw,
    netbios,
  };
}

const newBulkToken = (lifetimeMinutes = 60) => issueBulkTokenIn(siteDir, lifetimeMinutes);

function withDb(work: (db: ReturnType<typeof openSite>['db']) => void): void {
  const opened = openSite(siteDir);
  try {
    work(opened.db);
  } finally {
    opened.close();
  }
}

const cmg = (p: string, options: Parameters<typeof request>[1] = {}) => request(`${cmgBase}${p}`, { ca, ...options });
const mp = (p: string, options: Parameters<typeof request>[1] = {}) => request(`${site.ready.mp}${p}`, options);
const post = (body: Buffer, extra: Record<string, string> = {}) => ({
  method: 'CCM_POST',
  body,
  headers: { 'content-type': CONTENT_TYPE, ...extra },
});

function status(reply: Buffer): { Status: string; SMSID: string } {
  const text = replyText(reply);
  return { Status: /Status="(\d)"/.exec(text)?.[1] ?? '', SMSID: /SMSID="([^"]*)"/.exec(text)?.[1] ?? '' };
}

async function registerThroughCmg(id: Identity, token: string): Promise<string> {
  const first = await cmg(
    `/CCM_Proxy_ServerAuth/${ROLE}/ccm_system_tokenauth/request`,
    post(registration(id, 'Registration', '', true), { authorization: `Bearer ${token}` }),
  );
  expect(first.status).toBe(200);
  const pending = status(first.body);
  expect(pending.Status).toBe('1');
  const second = await cmg(
    `/CCM_Proxy_ServerAuth/${ROLE}/ccm_system_tokenauth/request`,
    post(registration(id, 'Confirmation', pending.SMSID, true), { authorization: `Bearer ${token}` }),
  );
  expect(status(second.body)).toEqual({ Status: '0', SMSID: pending.SMSID });
  return pending.SMSID;
}

function logEntries(name: string) {
  return parseCmTrace(fs.readFileSync(path.join(logDir, `${name}.log`), 'utf8')).entries;
}

beforeAll(async () => {
  work = tempDir();
  siteDir = path.join(work, 'site');
  logDir = path.join(work, 'logs');
  await initLabSite(siteDir);
  site = await startOnLoopback(siteDir, logDir, labClock(labAt(path.join(work, 'lab'))));
  ca = fs.readFileSync(path.join(siteDir, 'pki', 'sms-issuing.pem'), 'utf8');
  cmgBase = site.ready.cmg.replace('127.0.0.1', 'localhost');
});
afterAll(async () => {
  await site.stop();
  removeDir(work);
});

describe('CMG token gate', () => {
  test('no token or a bad one: 401 CMGService_Invalid_Token; a fresh bulk token: 200', async () => {
    const none = await cmg('/CCM_Proxy_ServerAuth/ServiceMetadata');
    expect([none.status, none.reason]).toEqual([401, 'CMGService_Invalid_Token']);
    const bad = await cmg('/CCM_Proxy_ServerAuth/ServiceMetadata', {
      headers: { authorization: 'Bearer abc.def.ghi' },
    });
    expect([bad.status, bad.reason]).toEqual([401, 'CMGService_Invalid_Token']);
    const { token } = newBulkToken();
    const good = await cmg('/CCM_Proxy_ServerAuth/ServiceMetadata', { headers: { authorization: `Bearer ${token}` } });
    expect(good.status).toBe(200);
    expect(XMLValidator.validate(good.body.toString())).toBe(true);
    expect(good.body.toString()).toContain(`RoleID="${ROLE}"`);
    const twin = await cmg('/CCM_Proxy_MutualAuth/ServiceMetadata', { headers: { authorization: `Bearer ${token}` } });
    expect(twin.status).toBe(200);
  });

  test('a raw TLS client sees the reason phrase on the status line', async () => {
    const url = new URL(site.ready.cmg);
    const head = await new Promise<string>((resolve, reject) => {
      const socket = tls.connect({ host: url.hostname, port: Number(url.port), ca, servername: 'localhost' }, () => {
        socket.write(
          'GET /CCM_Proxy_ServerAuth/ServiceMetadata HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n',
        );
      });
      let text = '';
      socket.on('data', (c: Buffer) => {
        text += c.toString('latin1');
        if (text.includes('\r\n')) {
          socket.destroy();
          resolve(text);
        }
      });
      socket.on('error', reject);
      socket.on('end', () => resolve(text));
    });
    expect(head.split('\r\n')[0]).toBe('HTTP/1.1 401 CMGService_Invalid_Token');
  });

  test('the TLS client certificate stays visible behind the CCM_POST rewriting', async () => {
    const now = Date.now();
    const cert = await issueCertificate({
      commonName: 'PKICLIENT01',
      notBefore: new Date(now - 86_400_000),
      notAfter: new Date(now + 86_400_000),
    });
    const r = await cmg('/CCM_Proxy_MutualAuth/ServiceMetadata', {
      method: 'CCM_POST',
      body: Buffer.from('x'),
      cert: cert.certificatePem,
      key: cert.privateKeyPem,
    });
    expect(r.status).toBe(401);
    const thumbprint = new crypto.X509Certificate(cert.certificatePem).fingerprint.replace(/:/g, '');
    expect(logEntries('CMGService').some((e) => e.message.includes(`CN=PKICLIENT01, thumbprint ${thumbprint}`))).toBe(
      true,
    );
  });

  test('an unknown role ID is 404', async () => {
    const { token } = newBulkToken();
    const r = await cmg(
      '/CCM_Proxy_ServerAuth/72057594037927999/ccm_system_tokenauth/request',
      post(Buffer.from('x'), { authorization: `Bearer ${token}` }),
    );
    expect(r.status).toBe(404);
  });

  test('expired and blocked bulk tokens are refused at once, with the reason in CCM_STS.log', async () => {
    const { token, guid } = newBulkToken(1);
    setLabClock(labAt(path.join(work, 'lab')), '+10m');
    try {
      const expired = await cmg('/CCM_Proxy_ServerAuth/ServiceMetadata', {
        headers: { authorization: `Bearer ${token}` },
      });
      expect([expired.status, expired.reason]).toEqual([401, 'CMGService_Invalid_Token']);
    } finally {
      setLabClock(labAt(path.join(work, 'lab')), 'reset');
    }
    const record = logEntries('CCM_STS')
      .map((e) => e.message)
      .find((m) => m.includes('IDX10223'));
    expect(record).toMatch(
      /^Return code: 401, Description: PreAuth token validation failed, System\.IdentityModel\.Tokens\.SecurityTokenExpiredException:\r\nIDX10223: Lifetime validation failed\. The token is expired\.\r\nValidTo: '\d\d\/\d\d\/\d{4} \d\d:\d\d:\d\d'\r\nCurrent time: '.*'\.$/,
    );
    expect(
      (await cmg('/CCM_Proxy_ServerAuth/ServiceMetadata', { headers: { authorization: `Bearer ${token}` } })).status,
    ).toBe(200);
    const opened = openSite(siteDir);
    try {
      setBulkTokenBlocked(opened, guid, true, new Date());
    } finally {
      opened.close();
    }
    const blocked = await cmg('/CCM_Proxy_ServerAuth/ServiceMetadata', {
      headers: { authorization: `Bearer ${token}` },
    });
    expect([blocked.status, blocked.reason]).toEqual([401, 'CMGService_Invalid_Token']);
    expect(logEntries('CCM_STS').some((e) => e.message.includes(`Bulk registration token ${guid} is blocked.`))).toBe(
      true,
    );
    expect(
      logEntries('CMGService').some(
        (e) => e.type === 2 && e.message.includes('401 CMGService_Invalid_Token (TOKEN_BLOCKED)'),
      ),
    ).toBe(true);
  });
});

describe('management point', () => {
  test('windowsauth answers 401 with Negotiate and NTLM', async () => {
    const r = await mp('/ccm_system_windowsauth');
    expect(r.status).toBe(401);
    const schemes = r.rawHeaders.filter(
      (_, i) => i % 2 === 1 && r.rawHeaders[i - 1].toLowerCase() === 'www-authenticate',
    );
    expect(schemes).toEqual(['Negotiate', 'NTLM']);
  });

  test.each(['MPLIST', 'MPKEYINFORMATION', 'SITESIGNCERT', 'MPCERT'])(
    'location ?%s is well-formed XML',
    async (query) => {
      const r = await mp(`/SMS_MP/.sms_aut?${query}`);
      expect(r.status).toBe(200);
      expect(XMLValidator.validate(r.body.toString())).toBe(true);
      if (query === 'MPLIST') expect(r.body.toString()).toContain('<MP Name="MP01" FQDN="mp01.lab.test">');
    },
  );

  test('the independent vector registers as pending on the intranet when the lab clock stands at its TimeStamp, not a day later', async () => {
    const vector = fs.readFileSync(fixture('vectors', 'registration-request.bin'));
    const lab = labAt(path.join(work, 'lab'));
    try {
      // The vector was signed at 2026-11-25T10:44:39Z; a day later it is a recorded message replayed.
      setLabClock(lab, '2026-11-26T10:44:39Z');
      expect(status((await mp('/ccm_system/request', post(vector))).body).Status).toBe('2');
      expect(logEntries('MP_RegistrationManager').at(-1)?.message).toMatch(
        /could not be processed: its TimeStamp 11\/25\/2026 10:44:39 is 24 hours before the site's clock/,
      );
      setLabClock(lab, '2026-11-25T10:44:39Z');
      const r = await mp('/ccm_system/request', post(vector));
      expect(r.status).toBe(200);
      expect(r.headers['content-type']).toBe(CONTENT_TYPE);
      expect(status(r.body).Status).toBe('1');
      expect(status(r.body).SMSID).toMatch(/^GUID:[0-9A-F-]{36}$/);
    } finally {
      setLabClock(lab, 'reset');
    }
  });

  test('an independently encoded client: pending, then registered, and listed', async () => {
    const id = await identity('INDEP01');
    const first = await mp('/ccm_system/request', post(registration(id, 'Registration', '', false)));
    const pending = status(first.body);
    expect(pending.Status).toBe('1');
    const second = await mp('/ccm_system/request', post(registration(id, 'Confirmation', pending.SMSID, false)));
    expect(status(second.body)).toEqual({ Status: '0', SMSID: pending.SMSID });
    const again = await mp('/ccm_system/request', post(registration(id, 'Registration', '', false)));
    expect(status(again.body)).toEqual({ Status: '0', SMSID: pending.SMSID });
    const list = await runCommand('ccmlab', ['site', 'clients', 'list', '--json', '--site-dir', siteDir]);
    const client = (JSON.parse(list.stdout) as Array<Record<string, unknown>>).find((c) => c.smsid === pending.SMSID);
    expect(client).toMatchObject({
      netbios: 'INDEP01',
      fqdn: 'indep01.lab.test',
      state: 'registered',
      approval: 'auto',
      registeredBy: 'intranet',
      bulkTokenGuid: null,
    });
    expect(client?.signingThumbprint).toBe(crypto.createHash('sha1').update(id.certDer).digest('hex').toUpperCase());
    const policy = await mp(
      '/ccm_system/request',
      post(
        message(
          'MP_PolicyManager',
          'INDEP01',
          `<RequestAssignments SchemaVersion="1.00" ACK="false" RequestType="Always"><Identification><Machine><ClientID>${pending.SMSID}</ClientID></Machine></Identification></RequestAssignments>`,
        ),
      ),
    );
    expect(policy.status).toBe(200);
    expect(replyText(policy.body)).toMatch(/^<ReplyAssignments [^>]*>.*<\/ReplyAssignments>$/);
    expect(XMLValidator.validate(replyText(policy.body))).toBe(true);
  });

  test('an SMSID that belongs to another key is rejected (Status 3)', async () => {
    const owner = await identity('OWNER01');
    const thief = await identity('THIEF01');
    const smsid = status(
      (await mp('/ccm_system/request', post(registration(owner, 'Registration', '', false)))).body,
    ).SMSID;
    const r = await mp('/ccm_system/request', post(registration(thief, 'Registration', smsid, false)));
    expect(status(r.body).Status).toBe('3');
  });

  test('manual approval holds an intranet client until approved', async () => {
    withDb((db) => writeSetting(db, 'registration.approval', 'manual'));
    try {
      const id = await identity('MANUAL01');
      const smsid = status(
        (await mp('/ccm_system/request', post(registration(id, 'Registration', '', false)))).body,
      ).SMSID;
      expect(
        status((await mp('/ccm_system/request', post(registration(id, 'Confirmation', smsid, false)))).body).Status,
      ).toBe('1');
      const approve = await runCommand('ccmlab', ['site', 'clients', 'approve', smsid, '--site-dir', siteDir]);
      expect(approve.code).toBe(0);
      // Signed a second later: the same bytes again would be a replay, which changes nothing.
      const later = new Date(Date.now() + 1000);
      expect(
        status(
          (await mp('/ccm_system/request', post(registration(id, 'Confirmation', smsid, false, id.netbios, later))))
            .body,
        ).Status,
      ).toBe('0');
      // A valid bulk token is itself the approval.
      const internet = await identity('MANUAL02');
      await registerThroughCmg(internet, newBulkToken().token);
    } finally {
      withDb((db) => writeSetting(db, 'registration.approval', 'auto'));
    }
  });

  test('registration.pending=false registers at once; a bulk token does not open location messages', async () => {
    withDb((db) => writeSetting(db, 'registration.pending', 'false'));
    try {
      const id = await identity('NOPEND01');
      expect(
        status((await mp('/ccm_system/request', post(registration(id, 'Registration', '', false)))).body).Status,
      ).toBe('0');
    } finally {
      withDb((db) => writeSetting(db, 'registration.pending', 'true'));
    }
    const { token } = newBulkToken();
    const location = await cmg(
      `/CCM_Proxy_ServerAuth/${ROLE}/ccm_system_tokenauth/request`,
      post(message('MP_LocationManager', 'NOPEND01', '<LocationRequest/>'), { authorization: `Bearer ${token}` }),
    );
    expect([location.status, location.reason]).toEqual([401, 'CMGService_Invalid_Token']);
  });

  test('pipelined CCM_POST requests in one TCP write are each rewritten and answered', async () => {
    const id = await identity('PIPE01');
    const body = registration(id, 'Registration', '', false);
    const one = Buffer.concat([
      Buffer.from(
        `CCM_POST /ccm_system/request HTTP/1.1\r\nHost: mp\r\nContent-Type: ${CONTENT_TYPE}\r\nX-Ccmlab-Original-Method: GET\r\nContent-Length: ${body.length}\r\n\r\n`,
      ),
      body,
    ]);
    const port = Number(new URL(site.ready.mp).port);
    const raw = await new Promise<string>((resolve, reject) => {
      const socket = net.connect(port, '127.0.0.1', () =>
        socket.write(
          Buffer.concat([
            one,
            one,
            Buffer.from('GET /SMS_MP/.sms_aut?MPLIST HTTP/1.1\r\nHost: mp\r\nConnection: close\r\n\r\n'),
          ]),
        ),
      );
      const chunks: Buffer[] = [];
      socket.on('data', (c: Buffer) => chunks.push(c));
      socket.on('end', () => resolve(Buffer.concat(chunks).toString('latin1')));
      socket.on('error', reject);
      socket.setTimeout(20_000, () => socket.destroy(new Error('timed out')));
    });
    expect(raw.match(/HTTP\/1\.1 200 OK/g)).toHaveLength(3);
    expect(raw).toContain('<MPList>');
  });

  test('CCM_POST requests share one keep-alive connection', async () => {
    const agent = new https.Agent({ keepAlive: true, maxSockets: 1, ca });
    try {
      const { token } = newBulkToken();
      const first = await cmg('/CCM_Proxy_ServerAuth/ServiceMetadata', {
        agent,
        headers: { authorization: `Bearer ${token}` },
      });
      const id = await identity('KEEP01');
      const second = await cmg(`/CCM_Proxy_ServerAuth/${ROLE}/ccm_system_tokenauth/request`, {
        agent,
        ...post(registration(id, 'Registration', '', true), { authorization: `Bearer ${token}` }),
      });
      const third = await cmg(`/CCM_Proxy_ServerAuth/${ROLE}/ccm_system_tokenauth/request`, {
        agent,
        ...post(registration(id, 'Registration', '', true), { authorization: `Bearer ${token}` }),
      });
      expect([first.status, second.status, third.status]).toEqual([200, 200, 200]);
      expect([second.reusedSocket, third.reusedSocket]).toEqual([true, true]);
    } finally {
      agent.destroy();
    }
  });
});

describe('CCM_STS: the unique client token', () => {
  test('through the CMG: the right key gets a token bound to its certificate; another key gets 401', async () => {
    const { token: bulk, guid } = newBulkToken();
    const id = await identity('STS01');
    const smsid = await registerThroughCmg(id, bulk);
    const r = await cmg(`/CCM_Proxy_ServerAuth/${ROLE}/CCM_STS`, {
      method: 'POST',
      headers: { authorization: `Bearer ${bulk}`, ...clientTokenHeaders(smsid, id.key, new Date()) },
    });
    expect(r.status).toBe(200);
    const { token, expiresAt } = JSON.parse(r.body.toString()) as { token: string; expiresAt: string };
    const claims = JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString()) as Record<string, any>;
    expect(claims).toMatchObject({ Type: 'ClientToken', DeviceId: smsid });
    expect(claims.cnf['x5t#S256']).toBe(crypto.createHash('sha256').update(id.certDer).digest('base64url'));
    expect(Date.parse(expiresAt) - claims.iat * 1000).toBe(90 * 86_400_000);
    const other = await identity('OTHER01');
    const forged = await cmg(`/CCM_Proxy_ServerAuth/${ROLE}/CCM_STS`, {
      method: 'POST',
      headers: { authorization: `Bearer ${bulk}`, ...clientTokenHeaders(smsid, other.key, new Date()) },
    });
    expect([forged.status, forged.reason]).toEqual([401, 'CMGService_Invalid_Token']);
    // The unique token opens what the bulk token does not, with proof; not without.
    const location = await cmg(`/CCM_Proxy_ServerAuth/${ROLE}/SMS_MP/.sms_aut?MPLIST`, {
      headers: { authorization: `Bearer ${token}`, ...clientTokenHeaders(smsid, id.key, new Date()) },
    });
    expect(location.status).toBe(200);
    const stolen = await cmg(`/CCM_Proxy_ServerAuth/${ROLE}/SMS_MP/.sms_aut?MPLIST`, {
      headers: { authorization: `Bearer ${token}`, ...clientTokenHeaders(smsid, other.key, new Date()) },
    });
    expect(stolen.status).toBe(401);
    const bulkOnLocation = await cmg(`/CCM_Proxy_ServerAuth/${ROLE}/SMS_MP/.sms_aut?MPLIST`, {
      headers: { authorization: `Bearer ${bulk}` },
    });
    expect(bulkOnLocation.status).toBe(401);
    const list = await runCommand('ccmlab', ['site', 'clients', 'list', '--json', '--site-dir', siteDir]);
    expect((JSON.parse(list.stdout) as Array<Record<string, unknown>>).find((c) => c.smsid === smsid)).toMatchObject({
      registeredBy: 'bulk-token',
      bulkTokenGuid: guid,
      approval: 'bulk-token',
    });
  });

  test('on the intranet: proof alone issues the token, unless tokens.intranet is false', async () => {
    const id = await identity('INTRA01');
    const smsid = status(
      (await mp('/ccm_system/request', post(registration(id, 'Registration', '', false)))).body,
    ).SMSID;
    await mp('/ccm_system/request', post(registration(id, 'Confirmation', smsid, false)));
    const r = await mp('/CCM_STS', { method: 'POST', headers: clientTokenHeaders(smsid, id.key, new Date()) });
    expect(r.status).toBe(200);
    const stale = await mp('/CCM_STS', {
      method: 'POST',
      headers: clientTokenHeaders(smsid, id.key, new Date(Date.now() - 20 * 60_000)),
    });
    expect(stale.status).toBe(401);
    withDb((db) => writeSetting(db, 'tokens.intranet', 'false'));
    try {
      expect(
        (await mp('/CCM_STS', { method: 'POST', headers: clientTokenHeaders(smsid, id.key, new Date()) })).status,
      ).toBe(403);
    } finally {
      withDb((db) => writeSetting(db, 'tokens.intranet', 'true'));
    }
  });
});

describe('bad input: a 4xx, a log line, and the site keeps serving', () => {
  test('a 10 MB body gets 413, seen by the client', async () => {
    const r = await mp('/ccm_system/request', post(Buffer.alloc(10 * 1024 * 1024, 0x41)));
    expect(r.status).toBe(413);
  });

  const bomb = (): Buffer => {
    const good = fs.readFileSync(fixture('vectors', 'registration-request.bin'));
    const marker = Buffer.from('content-type: application/octet-stream\r\n\r\n');
    const start = good.indexOf(marker) + marker.length;
    const end = good.lastIndexOf(Buffer.from('\r\n--aAbB'));
    return Buffer.concat([
      good.subarray(0, start),
      zlib.deflateSync(Buffer.alloc(64 * 1024 * 1024)),
      good.subarray(end),
    ]);
  };

  test.each([
    ['a zlib bomb', bomb, 413, /BODY_TOO_LARGE/],
    [
      'broken multipart',
      () => Buffer.from('--aAbBcCdDv1234567890VxXyYzZ\r\ncontent-type: text/plain\r\n\r\nno end'),
      400,
      /BAD_MULTIPART/,
    ],
    [
      'XML with a DOCTYPE',
      () =>
        message(
          'MP_ClientRegistration',
          'EVIL',
          '<!DOCTYPE x [<!ENTITY a "aaaa">]><ClientRegistrationRequest>&a;</ClientRegistrationRequest>',
        ),
      400,
      /DOCTYPE or ENTITY/,
    ],
    [
      'a bad signature',
      () => fs.readFileSync(fixture('vectors', 'registration-request-badsig.bin')),
      403,
      /signature over <Data> does not verify/,
    ],
    [
      'a body that is not zlib',
      () =>
        Buffer.from(
          `--aAbBcCdDv1234567890VxXyYzZ\r\ncontent-type: text/plain; charset=UTF-16\r\n\r\n${'\ufeff<Msg><Body Length="2"/><TargetEndpoint>MP_ClientRegistration</TargetEndpoint></Msg>'}\r\n--aAbBcCdDv1234567890VxXyYzZ\r\ncontent-type: application/octet-stream\r\n\r\nnot zlib\r\n--aAbBcCdDv1234567890VxXyYzZ--`,
        ),
      400,
      /BAD_BODY|BAD_HEADER/,
    ],
  ])('%s', async (_name, body, code, logged) => {
    const r = await mp('/ccm_system/request', post(body()));
    expect(r.status).toBe(code);
    expect(logEntries('MP_RegistrationManager').some((e) => e.type === 3 && logged.test(e.message))).toBe(true);
    expect((await mp('/SMS_MP/.sms_aut?MPLIST')).status).toBe(200);
  });
});

describe('site start (process)', () => {
  test('writes the ready file, serves, and stops cleanly on SIGTERM; the token tool works meanwhile', async () => {
    const readyFile = path.join(work, 'ready.json');
    const child = spawn(
      process.execPath,
      [
        path.join(__dirname, '..', '..', 'bin', 'ccmlab.js'),
        'site',
        'start',
        '--site-dir',
        siteDir,
        '--log-dir',
        logDir,
        '--ready-file',
        readyFile,
      ],
      { cwd: work, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const closed = new Promise<number | null>((resolve) => child.on('close', resolve));
    try {
      // The ready file is written before the site says it is running.
      await waitForOutput(child.stdout, /Stop it with Ctrl\+C/);
      child.stdout.resume();
      const ready = JSON.parse(fs.readFileSync(readyFile, 'utf8')) as Record<string, unknown>;
      expect(ready).toMatchObject({ roleId: ROLE, cmgName: 'cmg.lab.test', pid: child.pid });
      for (const key of ['mp', 'mpHttps', 'cmg']) expect(ready[key]).toMatch(/^https?:\/\/127\.0\.0\.1:\d+$/);
      const made = await runCommand('BulkRegistrationTokenTool', [
        '/new',
        '/lifetime',
        '5',
        '--site-dir',
        siteDir,
        '--log-dir',
        logDir,
      ]);
      expect(made.code).toBe(0);
      const r = await request(`${String(ready.cmg)}/CCM_Proxy_ServerAuth/ServiceMetadata`, {
        ca,
        servername: 'localhost',
        headers: { authorization: `Bearer ${made.stdout.split('\n')[4]}` },
      });
      expect(r.status).toBe(200);
    } finally {
      child.kill('SIGTERM');
    }
    expect(await closed).toBe(0);
  });
});
