import * as crypto from 'node:crypto';
import * as http from 'node:http';
import * as https from 'node:https';
import type * as tls from 'node:tls';
import * as v8 from 'node:v8';
import * as vm from 'node:vm';
import { badStatusLines, ClientHttp, requestLines } from '../../src/client/transport';
import { parseConnectTo } from '../../src/core/connect-to';
import { issueCertificate, type IssuedCertificate } from '../../src/pki/certificates';
import { buildCrl } from '../../src/pki/crl';
import type { CmLog } from '../../src/log/logger';

// The session test collects garbage between requests, as a busy client would.
v8.setFlagsFromString('--expose-gc');

/** Logs nothing: these tests look at what the request and close() do. */
const quietLog = { name: 'CcmMessaging', error: () => undefined, info: () => undefined } as unknown as CmLog;

describe('ClientHttp reply size cap', () => {
  let server: http.Server;
  let base: string;
  beforeAll(async () => {
    // Promises 8 MiB, sends 2 MiB and keeps the connection open: a paused reader would wait forever.
    server = http.createServer((_req, res) => {
      res.writeHead(200, { 'content-length': String(8 * 1024 * 1024) });
      res.write(Buffer.alloc(2 * 1024 * 1024, 0x41));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  test('an over-size reply fails with CCMCLIENT_E_BAD_REPLY and close() still resolves', async () => {
    const client = new ClientHttp({ connectTo: [], ca: undefined, maxBody: 64 * 1024 });
    await expect(client.request(`${base}/SMS_MP/.sms_aut?MPLIST`, { method: 'GET' }, quietLog)).rejects.toMatchObject({
      code: 'CCMCLIENT_E_BAD_REPLY',
    });
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<string>(
      (resolve) => (timer = setTimeout(() => resolve('still open after 10 s'), 10_000)),
    );
    const outcome = await Promise.race([client.close().then(() => 'closed'), deadline]);
    clearTimeout(timer);
    expect(outcome).toBe('closed');
  });
});

describe('the lines a request is logged with (published shapes)', () => {
  const ccmToken = `e30.${Buffer.from(JSON.stringify({ Type: 'ClientToken' })).toString('base64url')}.c2ln`;
  const bulkToken = `e30.${Buffer.from(JSON.stringify({ Type: 'BulkRegistration' })).toString('base64url')}.c2ln`;

  test("ccmsetup over HTTPS: its own Host= line, the host's case kept, CcmTokenAuth=1 for any token", () => {
    expect(
      requestLines(
        'https://CMG.cloudapp.net/CCM_Proxy_ServerAuth/7/ccm_system_tokenauth/request',
        'CCM_POST',
        'ccmsetup',
        `Bearer ${bulkToken}`,
      ),
    ).toEqual([
      'ccmsetup: Host=CMG.cloudapp.net, Path=/CCM_Proxy_ServerAuth/7/ccm_system_tokenauth/request, Port=443, Protocol=https, CcmTokenAuth=1, Flags=0x4100, Options=0xe0',
    ]);
  });

  test('ccmsetup over HTTP: the method and the upper-case scheme, as the real log has them', () => {
    expect(requestLines('http://server.dmz/ccm_system/request', 'CCM_POST', 'ccmsetup', undefined)).toEqual([
      "CCM_POST 'HTTP://server.dmz/ccm_system/request'",
    ]);
  });

  test('the agent: ccmhttp Host=, the target scheme, and the CCM token appended', () => {
    expect(
      requestLines(
        'https://CMG.CLOUDAPP.NET/CCM_Proxy_ServerAuth/7/CCM_STS',
        'POST',
        'CcmMessaging',
        `Bearer ${ccmToken}`,
      ),
    ).toEqual([
      'ccmhttp: Host=CMG.CLOUDAPP.NET, Path=/CCM_Proxy_ServerAuth/7/CCM_STS, Port=443, Protocol=https, CcmTokenAuth=1, Flags=0x4200, Options=0x1e0',
      'Target URL scheme is HTTPS: https://CMG.CLOUDAPP.NET/CCM_Proxy_ServerAuth/7/CCM_STS',
      'Appending CCM Token to the header.',
    ]);
  });

  test('no token: CcmTokenAuth=0 and nothing appended; a port and query are kept', () => {
    expect(requestLines('http://mp01:8080/SMS_MP/.sms_aut?MPLIST', 'GET', 'LocationServices', undefined)).toEqual([
      'ccmhttp: Host=mp01, Path=/SMS_MP/.sms_aut?MPLIST, Port=8080, Protocol=http, CcmTokenAuth=0, Flags=0x4200, Options=0x1e0',
      'Target URL scheme is HTTP: http://mp01:8080/SMS_MP/.sms_aut?MPLIST',
    ]);
  });
});

describe('the [CCMHTTP] ERROR pair for an HTTP status (KB-CMG, BLOG-500)', () => {
  test('a location request refused by the connection point: Options=31, and the 403 line with its spaces', () => {
    expect(
      badStatusLines(
        'https://cmgsccm.contoso.com/CCM_PROXY_MUTUALAUTH/3456/SMS_MP/.sms_aut?SITESIGNCERT',
        443,
        'location',
        403,
        'CMGConnector_Clientcertificaterequired',
      ),
    ).toEqual([
      '[CCMHTTP] ERROR: URL=https://cmgsccm.contoso.com/CCM_PROXY_MUTUALAUTH/3456/SMS_MP/.sms_aut?SITESIGNCERT, Port=443, Options=31, Code=0, Text=CCM_E_BAD_HTTP_STATUS_CODE',
      '[CCMHTTP] ERROR INFO: StatusCode= 403 StatusText= CMGConnector_Clientcertificaterequired',
    ]);
  });

  test('ServiceMetadata refused for its token: Options=224, the space before the comma, and the 401 line without spaces', () => {
    expect(
      badStatusLines(
        'https://CMGSERVER.CLOUDAPP.NET/CCM_Proxy_ServerAuth/ServiceMetadata',
        443,
        'other',
        401,
        'CMGService_Invalid_Token',
      ),
    ).toEqual([
      '[CCMHTTP] ERROR: URL=https://CMGSERVER.CLOUDAPP.NET/CCM_Proxy_ServerAuth/ServiceMetadata , Port=443, Options=224, Code=0, Text=CCM_E_BAD_HTTP_STATUS_CODE',
      '[CCMHTTP] ERROR INFO: StatusCode=401 StatusText=CMGService_Invalid_Token',
    ]);
  });

  test('a registration message refused by the connection point keeps Options=224; only 403 takes the spaces', () => {
    const [error, info] = badStatusLines(
      'https://CMG/CCM_Proxy_ServerAuth/7/ccm_system_tokenauth/request',
      443,
      'other',
      403,
      'CMGConnector_Clientcertificaterequired',
    );
    expect(error).toBe(
      '[CCMHTTP] ERROR: URL=https://CMG/CCM_Proxy_ServerAuth/7/ccm_system_tokenauth/request , Port=443, Options=224, Code=0, Text=CCM_E_BAD_HTTP_STATUS_CODE',
    );
    expect(info).toBe('[CCMHTTP] ERROR INFO: StatusCode= 403 StatusText= CMGConnector_Clientcertificaterequired');
    expect(badStatusLines('http://mp/SMS_MP/.sms_aut?MPLIST', 80, 'location', 500, 'Internal Server Error')[1]).toBe(
      '[CCMHTTP] ERROR INFO: StatusCode=500 StatusText=Internal Server Error',
    );
  });
});

describe('TLS sessions', () => {
  /** A root, a server certificate from it naming a CRL, and the CRL (over HTTP) as the test sets it. */
  let root: IssuedCertificate;
  let serverCert: IssuedCertificate;
  let crl: Buffer;
  let tlsServer: https.Server;
  let crlServer: http.Server;
  const handshakes: boolean[] = [];
  const connectTo = () => [
    parseConnectTo(`cmg.lab.test:443:127.0.0.1:${portOf(tlsServer)}`),
    parseConnectTo(`crl.lab.test:80:127.0.0.1:${portOf(crlServer)}`),
  ];
  const portOf = (server: http.Server) => (server.address() as { port: number }).port;
  const signCrl = (revoked: string[]) =>
    buildCrl({
      issuerCertificatePem: root.certificatePem,
      issuerKey: crypto.createPrivateKey(root.privateKeyPem),
      thisUpdate: new Date(Date.now() - 60_000),
      nextUpdate: new Date(Date.now() + 86_400_000),
      number: 1,
      revoked: revoked.map((serial) => ({ serial, revokedAt: new Date() })),
    });

  beforeAll(async () => {
    const now = Date.now();
    const validity = { notBefore: new Date(now - 86_400_000), notAfter: new Date(now + 86_400_000) };
    root = await issueCertificate({
      commonName: 'Lab Root',
      ...validity,
      isCa: true,
      keyUsage: { keyCertSign: true, cRLSign: true },
    });
    serverCert = await issueCertificate({
      commonName: 'cmg.lab.test',
      dnsNames: ['cmg.lab.test'],
      ...validity,
      crlDistributionPoints: ['http://crl.lab.test/root.crl'],
      issuer: root,
    });
    crl = signCrl([]);
    // Every answer closes its connection, so each request opens a new one; but those to /keep-alive.
    tlsServer = https.createServer({ key: serverCert.privateKeyPem, cert: serverCert.certificatePem }, (req, res) =>
      res.writeHead(200, req.url === '/keep-alive' ? {} : { connection: 'close' }).end('ok'),
    );
    tlsServer.on('secureConnection', (socket: tls.TLSSocket) => handshakes.push(socket.isSessionReused()));
    crlServer = http.createServer((_req, res) =>
      res.writeHead(200, { 'content-type': 'application/pkix-crl' }).end(crl),
    );
    await Promise.all(
      [tlsServer, crlServer].map((server) => new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))),
    );
  });
  afterAll(async () => {
    for (const server of [tlsServer, crlServer]) {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
  beforeEach(() => {
    handshakes.length = 0;
    crl = signCrl([]);
  });

  test("a client's next connection to a name resumes its session, through --connect-to and a garbage collection", async () => {
    const client = new ClientHttp({
      connectTo: connectTo(),
      ca: root.certificatePem,
      crlCheck: { now: () => new Date() },
    });
    const collectGarbage = vm.runInNewContext('gc') as () => void;
    try {
      for (let i = 0; i < 3; i++) {
        expect(
          (
            await client.request(
              'https://cmg.lab.test/CCM_Proxy_ServerAuth/ServiceMetadata',
              { method: 'GET' },
              quietLog,
            )
          ).status,
        ).toBe(200);
        collectGarbage();
      }
    } finally {
      await client.close();
    }
    expect(handshakes).toEqual([false, true, true]);
  });

  test("a client's requests one after another share one kept-alive connection", async () => {
    const client = new ClientHttp({ connectTo: connectTo(), ca: root.certificatePem });
    try {
      for (let i = 0; i < 3; i++)
        expect((await client.request('https://cmg.lab.test/keep-alive', { method: 'GET' }, quietLog)).status).toBe(200);
    } finally {
      await client.close();
    }
    expect(handshakes).toEqual([false]);
  });

  test('another client does not resume the session of the first', async () => {
    for (let i = 0; i < 2; i++) {
      const client = new ClientHttp({ connectTo: connectTo(), ca: root.certificatePem });
      await client.request('https://cmg.lab.test/x', { method: 'GET' }, quietLog);
      await client.close();
    }
    expect(handshakes).toEqual([false, false]);
  });

  test('a connection refused for a revoked certificate leaves no session to resume: the next is refused too', async () => {
    crl = signCrl([new crypto.X509Certificate(serverCert.certificatePem).serialNumber]);
    const client = new ClientHttp({
      connectTo: connectTo(),
      ca: root.certificatePem,
      crlCheck: { now: () => new Date() },
    });
    try {
      for (let i = 0; i < 2; i++) {
        await expect(client.request('https://cmg.lab.test/x', { method: 'GET' }, quietLog)).rejects.toMatchObject({
          code: 'CCMCLIENT_E_SECURE_FAILURE',
        });
      }
    } finally {
      await client.close();
    }
    expect(handshakes).not.toContain(true);
  });
});
