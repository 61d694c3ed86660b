import * as fs from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import * as net from 'node:net';
import * as path from 'node:path';
import * as tls from 'node:tls';
import { parseCmTrace } from '../../src/log/cmtrace-parse';
import { writeSetting, type SettingKey } from '../../src/site/settings';
import { type RunningSite } from '../../src/site/site-server';
import { request } from '../support/https-client';
import { removeDir, tempDir } from '../support/paths';
import { initLabSite, startOnLoopback } from '../support/test-site';

/**
 * Slow and silent clients against the real listeners: every close is observed on the
 * client socket and matched with the site's log line, never timed.
 */

let work: string;
let logDir: string;
let site: RunningSite;
let ca: string;

/** A client socket and how it ended: whether the server closed it (FIN or RST) before we did. */
interface Watched {
  socket: net.Socket;
  /** Kept from the connect: the socket forgets it once closed. */
  localPort: number;
  data: Buffer[];
  byServer: boolean;
  closed: boolean;
  close: Promise<void>;
}

function watch(socket: net.Socket): Watched {
  const watched: Watched = { socket, localPort: 0, data: [], byServer: false, closed: false, close: Promise.resolve() };
  watched.close = new Promise((resolve) => {
    socket.on('connect', () => (watched.localPort = socket.localPort ?? 0));
    socket.on('data', (chunk: Buffer) => watched.data.push(chunk));
    socket.on('end', () => (watched.byServer = true));
    socket.on(
      'error',
      (error: NodeJS.ErrnoException) => (watched.byServer ||= error.code === 'ECONNRESET' || error.code === 'EPIPE'),
    );
    socket.on('close', () => {
      watched.closed = true;
      resolve();
    });
  });
  return watched;
}

const port = (url: string) => Number(new URL(url).port);

async function connectTcp(url: string): Promise<Watched> {
  const socket = net.connect(port(url), '127.0.0.1');
  const watched = watch(socket);
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  return watched;
}

async function connectTls(url: string): Promise<Watched> {
  const socket = tls.connect({ port: port(url), host: '127.0.0.1', servername: 'localhost', ca });
  const watched = watch(socket);
  await new Promise<void>((resolve, reject) => socket.once('secureConnect', resolve).once('error', reject));
  return watched;
}

function configure(settings: Partial<Record<SettingKey, string>>): void {
  for (const [key, value] of Object.entries(settings)) writeSetting(site.runtime.db, key as SettingKey, value);
}

/** A request on a connection of its own (no keep-alive), so it holds nothing afterwards. */
async function fresh(url: string): Promise<number> {
  const secure = url.startsWith('https');
  const agent = secure ? new https.Agent({ keepAlive: false }) : new http.Agent({ keepAlive: false });
  const target = secure
    ? `${url.replace('127.0.0.1', 'localhost')}/CCM_Proxy_ServerAuth/ServiceMetadata`
    : `${url}/SMS_MP/.sms_aut?MPLIST`;
  return (await request(target, { ca, agent })).status;
}

/**
 * Writes `byte` to each open socket, then makes a fresh request (which paces the drip and
 * checks the site still serves), until the server has closed them all; bounded.
 */
async function dripUntilClosed(sockets: Watched[], byte: string, serverUrl: string): Promise<number[]> {
  const statuses: number[] = [];
  for (let step = 0; step < 20_000 && sockets.some((s) => !s.closed); step++) {
    for (const s of sockets) if (!s.closed) s.socket.write(byte);
    statuses.push(await fresh(serverUrl));
  }
  return statuses;
}

function logged(name: string, message: string): boolean {
  return parseCmTrace(fs.readFileSync(path.join(logDir, `${name}.log`), 'utf8')).entries.some(
    (e) => e.message === message,
  );
}

async function exchange(url: string, bytes: string): Promise<Watched> {
  const watched = await connectTcp(url);
  watched.socket.write(bytes);
  await watched.close;
  return watched;
}

const statusesOf = (watched: Watched) =>
  [
    ...Buffer.concat(watched.data)
      .toString('latin1')
      .matchAll(/HTTP\/1\.1 (\d{3}) /g),
  ].map((m) => Number(m[1]));

beforeAll(async () => {
  work = tempDir();
  const siteDir = path.join(work, 'site');
  logDir = path.join(work, 'logs');
  await initLabSite(siteDir);
  // Started with the defaults: the settings below reach the running site's new connections.
  site = await startOnLoopback(siteDir, logDir);
  ca = fs.readFileSync(path.join(siteDir, 'pki', 'sms-issuing.pem'), 'utf8');
});
afterAll(async () => {
  await site.stop();
  removeDir(work);
});

describe('connection cap (first, while no other connection is open)', () => {
  test('MP over HTTP: the connection past the cap is closed at accept, the others stay open', async () => {
    configure({ 'listener.maxConnections': '2', 'listener.idleTimeout': '600' });
    try {
      const held = [await connectTcp(site.ready.mp), await connectTcp(site.ready.mp)];
      // A complete exchange on each proves the listener has accepted and counted it.
      const ask = 'GET /SMS_MP/.sms_aut?MPLIST HTTP/1.1\r\nHost: mp\r\n\r\n';
      const answered = (s: Watched, count: number) =>
        new Promise<void>((resolve) => s.socket.on('data', () => statusesOf(s).length >= count && resolve()));
      await Promise.all(held.map((s) => (s.socket.write(ask), answered(s, 1))));
      const extra = await connectTcp(site.ready.mp);
      await extra.close;
      expect([extra.byServer, extra.data.length]).toEqual([true, 0]);
      expect(
        logged(
          'MP_RegistrationManager',
          `Refused connection from 127.0.0.1:${extra.localPort}: listener.maxConnections (2) connections already open.`,
        ),
      ).toBe(true);
      await Promise.all(held.map((s) => (s.socket.write(ask), answered(s, 2))));
      expect(held.map((s) => [s.closed, statusesOf(s)])).toEqual([
        [false, [200, 200]],
        [false, [200, 200]],
      ]);
      held.forEach((s) => s.socket.destroy());
      await Promise.all(held.map((s) => s.close));
    } finally {
      configure({ 'listener.maxConnections': '1024' });
    }
  });

  test('CMG over TLS: the connection past the cap is closed before any handshake', async () => {
    configure({ 'listener.maxConnections': '1', 'listener.idleTimeout': '600' });
    try {
      const held = await connectTls(site.ready.cmg);
      const extra = watch(tls.connect({ port: port(site.ready.cmg), host: '127.0.0.1', servername: 'localhost', ca }));
      let handshaken = false;
      extra.socket.once('secureConnect', () => (handshaken = true));
      await extra.close;
      expect([extra.byServer, handshaken]).toEqual([true, false]);
      expect(
        logged(
          'CMGService',
          `Refused connection from 127.0.0.1:${extra.localPort}: listener.maxConnections (1) connections already open.`,
        ),
      ).toBe(true);
      expect(held.closed).toBe(false);
      held.socket.destroy();
      await held.close;
    } finally {
      configure({ 'listener.maxConnections': '1024' });
    }
  });
});

describe('timeouts', () => {
  beforeAll(() =>
    configure({ 'listener.headerTimeout': '1', 'listener.requestTimeout': '2', 'listener.idleTimeout': '1' }),
  );

  test('MP over HTTP: heads dripped a byte at a time are closed by the server; fresh requests are served meanwhile', async () => {
    const drips = await Promise.all([1, 2, 3].map(() => connectTcp(site.ready.mp)));
    drips.forEach((d) => d.socket.write('GET /SMS_MP/.sms_aut?MPLIST HTTP/1.1\r\nX-Drip: '));
    const statuses = await dripUntilClosed(drips, 'a', site.ready.mp);
    expect(statuses.length).toBeGreaterThan(0);
    expect(statuses.every((s) => s === 200)).toBe(true);
    for (const d of drips) {
      expect([d.byServer, d.data.length]).toEqual([true, 0]);
      expect(
        logged(
          'MP_RegistrationManager',
          `Closed connection from 127.0.0.1:${d.localPort}: headers not complete within 1 s (header timeout).`,
        ),
      ).toBe(true);
    }
  });

  test('MP over HTTP: a body dripped a byte at a time is closed after the request timeout', async () => {
    const drip = await connectTcp(site.ready.mp);
    drip.socket.write('CCM_POST /ccm_system/request HTTP/1.1\r\nHost: mp\r\nContent-Length: 100000\r\n\r\n');
    const statuses = await dripUntilClosed([drip], 'a', site.ready.mp);
    expect(statuses.every((s) => s === 200)).toBe(true);
    expect(drip.byServer).toBe(true);
    expect(
      logged(
        'MP_RegistrationManager',
        `Closed connection from 127.0.0.1:${drip.localPort}: request not complete within 2 s (request timeout).`,
      ),
    ).toBe(true);
  });

  test('CMG over TLS: a chunked body dripped a byte at a time is closed after the request timeout, counted from its head', async () => {
    const drip = await connectTls(site.ready.cmg);
    // One chunk of 100,000 bytes announced: each byte dripped is progress, which no idle timeout would ever end.
    drip.socket.write(
      'CCM_POST /CCM_Proxy_ServerAuth/72057594037927941/ccm_system_tokenauth/request HTTP/1.1\r\nHost: cmg\r\nTransfer-Encoding: chunked\r\n\r\n186A0\r\n',
    );
    const statuses = await dripUntilClosed([drip], 'a', site.ready.cmg);
    expect(statuses.every((s) => s === 401)).toBe(true);
    expect(drip.byServer).toBe(true);
    expect(
      logged(
        'CMGService',
        `Closed connection from 127.0.0.1:${drip.localPort}: request not complete within 2 s (request timeout).`,
      ),
    ).toBe(true);
  });

  test('MP over HTTP: an idle connection is closed after the idle timeout, also after a request', async () => {
    const silent = await connectTcp(site.ready.mp);
    const served = await exchangeKeepAlive(site.ready.mp);
    await Promise.all([silent.close, served.close]);
    expect([silent.byServer, served.byServer]).toEqual([true, true]);
    expect(statusesOf(served)).toEqual([200]);
    for (const s of [silent, served]) {
      expect(
        logged(
          'MP_RegistrationManager',
          `Closed connection from 127.0.0.1:${s.localPort}: no request within 1 s (idle timeout).`,
        ),
      ).toBe(true);
    }
  });

  test('CMG over TLS: a dripped head, a silent TLS connection and a stalled handshake are closed by the server', async () => {
    const drip = await connectTls(site.ready.cmg);
    drip.socket.write('GET /CCM_Proxy_ServerAuth/ServiceMetadata HTTP/1.1\r\nX-Drip: ');
    const silent = await connectTls(site.ready.cmg);
    const noHandshake = await connectTcp(site.ready.cmg);
    const statuses = await dripUntilClosed([drip], 'a', site.ready.cmg);
    await Promise.all([silent.close, noHandshake.close]);
    expect(statuses.every((s) => s === 401)).toBe(true);
    expect([drip.byServer, silent.byServer, noHandshake.byServer]).toEqual([true, true, true]);
    const closed = (s: Watched, reason: string) =>
      logged('CMGService', `Closed connection from 127.0.0.1:${s.localPort}: ${reason}.`);
    expect(closed(drip, 'headers not complete within 1 s (header timeout)')).toBe(true);
    expect(closed(silent, 'no request within 1 s (idle timeout)')).toBe(true);
    expect(closed(noHandshake, 'TLS handshake not complete within 1 s (header timeout)')).toBe(true);
  });

  test('MP over HTTPS: a dripped head is closed the same way', async () => {
    const drip = await connectTls(site.ready.mpHttps);
    drip.socket.write('GET /SMS_MP/.sms_aut?MPLIST HTTP/1.1\r\nX-Drip: ');
    await dripUntilClosed([drip], 'a', site.ready.mp);
    expect(drip.byServer).toBe(true);
    expect(
      logged(
        'MP_RegistrationManager',
        `Closed connection from 127.0.0.1:${drip.localPort}: headers not complete within 1 s (header timeout).`,
      ),
    ).toBe(true);
  });
});

/** One keep-alive request on a raw connection, left open afterwards. */
async function exchangeKeepAlive(url: string): Promise<Watched> {
  const watched = await connectTcp(url);
  watched.socket.write('GET /SMS_MP/.sms_aut?MPLIST HTTP/1.1\r\nHost: mp\r\n\r\n');
  return watched;
}

describe('framing', () => {
  beforeAll(() =>
    configure({ 'listener.headerTimeout': '30', 'listener.requestTimeout': '60', 'listener.idleTimeout': '120' }),
  );

  const chunked =
    'CCM_POST /ccm_system/request HTTP/1.1\r\nHost: mp\r\nTransfer-Encoding: chunked\r\n\r\n5;x=1\r\nhello\r\n6\r\n world\r\n0\r\nX-Trailer: 1\r\n\r\n';

  test('after a chunked CCM_POST, a spoofed original-method header on the same connection is dropped', async () => {
    const spoofed =
      'GET /ccm_system/request HTTP/1.1\r\nHost: mp\r\nX-Ccmlab-Original-Method: CCM_POST\r\nConnection: close\r\n\r\n';
    const reply = await exchange(site.ready.mp, chunked + spoofed);
    expect(statusesOf(reply)).toEqual([400, 405]);
    expect(Buffer.concat(reply.data).toString('latin1')).toContain('/ccm_system/request takes CCM_POST, not GET');
  });

  test('pipelined: a chunked request, a Content-Length request and a GET in one write are each answered', async () => {
    const sized = 'CCM_POST /ccm_system/request HTTP/1.1\r\nHost: mp\r\nContent-Length: 5\r\n\r\nhello';
    const reply = await exchange(
      site.ready.mp,
      `${chunked}${sized}GET /SMS_MP/.sms_aut?MPLIST HTTP/1.1\r\nHost: mp\r\nConnection: close\r\n\r\n`,
    );
    expect(statusesOf(reply)).toEqual([400, 400, 200]);
  });

  test.each([
    [
      'Content-Length with Transfer-Encoding',
      'Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
      400,
      'both Content-Length and Transfer-Encoding',
    ],
    ['two Content-Length', 'Content-Length: 5\r\nContent-Length: 6\r\n\r\nhello!', 400, 'more than one Content-Length'],
    ['a bad chunk', 'Transfer-Encoding: chunked\r\n\r\nzz\r\n', 400, 'malformed chunk-size line'],
    ['Transfer-Encoding gzip', 'Transfer-Encoding: gzip\r\n\r\n', 400, 'Transfer-Encoding other than a final chunked'],
    ['a head over 64 KiB', `X-Big: ${'a'.repeat(70_000)}`, 431, 'request head over 64 KiB'],
  ])('%s: the status, the connection closed, a log line', async (_name, rest, status, reason) => {
    const reply = await exchange(site.ready.mp, `CCM_POST /ccm_system/request HTTP/1.1\r\nHost: mp\r\n${rest}`);
    expect([statusesOf(reply), reply.byServer]).toEqual([[status], true]);
    expect(Buffer.concat(reply.data).toString('latin1')).toMatch(/\r\nConnection: close\r\n/);
    expect(
      logged(
        'MP_RegistrationManager',
        `Refused a request from 127.0.0.1:${reply.localPort}: ${status} (${reason}); connection closed.`,
      ),
    ).toBe(true);
    expect(await fresh(site.ready.mp)).toBe(200);
  });
});
