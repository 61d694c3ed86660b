import * as crypto from 'node:crypto';
import * as http from 'node:http';
import * as https from 'node:https';
import * as net from 'node:net';
import { ClientHttp, type Deadlines } from '../../src/client/transport';
import { parseConnectTo } from '../../src/core/connect-to';
import { issueCertificate, type IssuedCertificate } from '../../src/pki/certificates';
import { buildCrl } from '../../src/pki/crl';
import type { CmLog } from '../../src/log/logger';

/**
 * Every read of the client has a total deadline, whatever the server does, and a CRL that can
 * only arrive through the connection waiting for it is refused at once. Servers on loopback;
 * the deadlines are shortened (an option only tests set), and no test asserts a duration.
 */

const quietLog = { name: 'ccmsetup', error: () => undefined, info: () => undefined } as unknown as CmLog;
/** A short request deadline; and a short CRL deadline inside a long request one, so that the CRL's is the one reached. */
const SHORT_REQUEST: Deadlines = { requestMs: 500, crlMs: 60_000 };
const SHORT_CRL: Deadlines = { requestMs: 60_000, crlMs: 500 };

const portOf = (server: net.Server) => (server.address() as net.AddressInfo).port;
const listening = <T extends net.Server>(server: T) =>
  new Promise<T>((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));

let root: IssuedCertificate;
let crl: Buffer;
const servers: net.Server[] = [];

/** A server certificate for `name` from the root, naming `crlUrl` as its CRL distribution point. */
async function serverCertificate(name: string, crlUrl?: string): Promise<IssuedCertificate> {
  const now = Date.now();
  return issueCertificate({
    commonName: name,
    dnsNames: [name],
    notBefore: new Date(now - 86_400_000),
    notAfter: new Date(now + 86_400_000),
    ...(crlUrl ? { crlDistributionPoints: [crlUrl] } : {}),
    issuer: root,
  });
}

/** An https server with `cert` answering `ok` and serving the root's CRL under /*.crl; it counts what it is asked. */
async function tlsServer(cert: IssuedCertificate): Promise<{ server: https.Server; asked: string[] }> {
  const asked: string[] = [];
  const server = https.createServer({ key: cert.privateKeyPem, cert: cert.certificatePem }, (req, res) => {
    asked.push(req.url ?? '');
    if (req.url?.endsWith('.crl')) res.writeHead(200, { 'content-type': 'application/pkix-crl' }).end(crl);
    else res.end('ok');
  });
  servers.push(await listening(server));
  return { server, asked };
}

/**
 * A server that sends `reply` a byte at a time, each byte soon after the last (well inside any
 * idle timeout), for as long as the connection stays open; `closed` resolves when it is closed.
 */
async function drippingServer(reply: Buffer): Promise<{ server: net.Server; closed: Promise<void> }> {
  let closedNow: () => void = () => undefined;
  const closed = new Promise<void>((resolve) => (closedNow = resolve));
  const server = net.createServer((socket) => {
    let sent = 0;
    const drip = setInterval(() => {
      if (sent < reply.length) socket.write(reply.subarray(sent, ++sent));
    }, 20);
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearInterval(drip);
      closedNow();
    });
  });
  servers.push(await listening(server));
  return { server, closed };
}

/** A reply head promising a body far longer than the drip will ever send. */
const LONG_REPLY = Buffer.concat([
  Buffer.from('HTTP/1.1 200 OK\r\nContent-Type: application/pkix-crl\r\nContent-Length: 1000000\r\n\r\n'),
  Buffer.alloc(1_000_000, 0x30),
]);

beforeAll(async () => {
  const now = Date.now();
  root = await issueCertificate({
    commonName: 'Lab Root',
    notBefore: new Date(now - 86_400_000),
    notAfter: new Date(now + 86_400_000),
    isCa: true,
    keyUsage: { keyCertSign: true, cRLSign: true },
  });
  crl = buildCrl({
    issuerCertificatePem: root.certificatePem,
    issuerKey: crypto.createPrivateKey(root.privateKeyPem),
    thisUpdate: new Date(now - 60_000),
    nextUpdate: new Date(now + 86_400_000),
    number: 1,
    revoked: [],
  });
});
afterAll(async () => {
  for (const server of servers) {
    (server as http.Server).closeAllConnections?.();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});

async function requestWith(client: ClientHttp, url: string): Promise<unknown> {
  try {
    return await client.request(url, { method: 'GET' }, quietLog);
  } catch (error) {
    return error;
  } finally {
    await client.close();
  }
}

const checked = (connectTo: string[], deadlines?: Deadlines) =>
  new ClientHttp({
    connectTo: connectTo.map(parseConnectTo),
    ca: root.certificatePem,
    crlCheck: { now: () => new Date() },
    ...(deadlines ? { deadlines } : {}),
  });

describe('a server that drips a byte at a time is cut off at the total deadline', () => {
  test.each([
    ['its head', Buffer.from('HTTP/1.1 200 OK\r\nX-Drip: ' + 'a'.repeat(100_000))],
    ['its body', LONG_REPLY],
  ])('a CRL server dripping %s: CERT_REV_FAILED at the CRL deadline, its connection closed', async (_what, reply) => {
    const drip = await drippingServer(reply);
    const cmg = await tlsServer(await serverCertificate('cmg.lab.test', 'http://crl.lab.test/root.crl'));
    const client = checked(
      [`cmg.lab.test:443:127.0.0.1:${portOf(cmg.server)}`, `crl.lab.test:80:127.0.0.1:${portOf(drip.server)}`],
      SHORT_CRL,
    );
    const failure = await requestWith(client, 'https://cmg.lab.test/CCM_Proxy_ServerAuth/ServiceMetadata');
    expect(failure).toMatchObject({
      code: 'CCMCLIENT_E_SECURE_FAILURE',
      message: expect.stringMatching(
        /CERT_REV_FAILED: the CRL at http:\/\/crl\.lab\.test\/root\.crl cannot be used \(no complete answer within 0\.5 s\)/,
      ),
    });
    await drip.closed;
    expect(cmg.asked).toEqual([]);
  });

  test('a request whose reply drips: CCMCLIENT_E_TIMEOUT at the request deadline, its connection closed, close() resolves', async () => {
    const drip = await drippingServer(LONG_REPLY);
    const client = new ClientHttp({
      connectTo: [parseConnectTo(`mp01.lab.test:80:127.0.0.1:${portOf(drip.server)}`)],
      ca: undefined,
      deadlines: SHORT_REQUEST,
    });
    const failure = await requestWith(client, 'http://mp01.lab.test/SMS_MP/.sms_aut?MPLIST');
    expect(failure).toMatchObject({
      code: 'CCMCLIENT_E_TIMEOUT',
      message: 'mp01.lab.test did not answer in time (no complete answer within 0.5 s)',
    });
    await drip.closed;
  });
});

describe('a CRL that can only be fetched through the connection it vouches for is refused at once', () => {
  // The product's deadlines: a refusal that waited for one would not end within the test's timeout.
  const WITHIN_MS = 12_000;

  test(
    'an https CRL on the server being checked (through --connect-to): CERT_REV_FAILED, nothing asked of it',
    async () => {
      const cmg = await tlsServer(await serverCertificate('cmg.lab.test', 'https://cmg.lab.test/CRL/root.crl'));
      const failure = await requestWith(
        checked([`cmg.lab.test:443:127.0.0.1:${portOf(cmg.server)}`]),
        'https://cmg.lab.test/CCM_Proxy_ServerAuth/ServiceMetadata',
      );
      expect(failure).toMatchObject({
        code: 'CCMCLIENT_E_SECURE_FAILURE',
        message: expect.stringContaining(
          `CERT_REV_FAILED: the CRL at https://cmg.lab.test/CRL/root.crl cannot be used (it can only be fetched through the connection to 127.0.0.1:${portOf(cmg.server)} that it is to vouch for`,
        ),
      });
      expect(cmg.asked).toEqual([]);
    },
    WITHIN_MS,
  );

  test(
    'the same server under another name is the same server',
    async () => {
      const cmg = await tlsServer(await serverCertificate('cmg.lab.test', 'https://crl.lab.test/root.crl'));
      const failure = await requestWith(
        checked([
          `cmg.lab.test:443:127.0.0.1:${portOf(cmg.server)}`,
          `crl.lab.test:443:127.0.0.1:${portOf(cmg.server)}`,
        ]),
        'https://cmg.lab.test/x',
      );
      expect(failure).toMatchObject({
        code: 'CCMCLIENT_E_SECURE_FAILURE',
        message: expect.stringContaining('it can only be fetched through the connection to'),
      });
      expect(cmg.asked).toEqual([]);
    },
    WITHIN_MS,
  );

  test(
    "two servers each holding the other's CRL over https: refused, not a wait for each other",
    async () => {
      const a = await tlsServer(await serverCertificate('a.lab.test', 'https://b.lab.test/a.crl'));
      const b = await tlsServer(await serverCertificate('b.lab.test', 'https://a.lab.test/b.crl'));
      const failure = await requestWith(
        checked([`a.lab.test:443:127.0.0.1:${portOf(a.server)}`, `b.lab.test:443:127.0.0.1:${portOf(b.server)}`]),
        'https://a.lab.test/x',
      );
      expect(failure).toMatchObject({
        code: 'CCMCLIENT_E_SECURE_FAILURE',
        message: expect.stringContaining(
          `it can only be fetched through the connection to 127.0.0.1:${portOf(a.server)} that it is to vouch for`,
        ),
      });
      expect([a.asked, b.asked]).toEqual([[], []]);
    },
    WITHIN_MS,
  );

  test(
    'an https CRL on another server, whose own CRL is over plain HTTP, is fetched and the request served',
    async () => {
      const plainCrl = await listening(
        http.createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/pkix-crl' }).end(crl)),
      );
      servers.push(plainCrl);
      const crlServer = await tlsServer(await serverCertificate('crl.lab.test', 'http://plain.lab.test/root.crl'));
      const cmg = await tlsServer(await serverCertificate('cmg.lab.test', 'https://crl.lab.test/cmg.crl'));
      const client = checked([
        `cmg.lab.test:443:127.0.0.1:${portOf(cmg.server)}`,
        `crl.lab.test:443:127.0.0.1:${portOf(crlServer.server)}`,
        `plain.lab.test:80:127.0.0.1:${portOf(plainCrl)}`,
      ]);
      const reply = await requestWith(client, 'https://cmg.lab.test/x');
      expect(reply).toMatchObject({ status: 200 });
      expect([cmg.asked, crlServer.asked]).toEqual([['/x'], ['/cmg.crl']]);
    },
    WITHIN_MS,
  );
});
