import * as https from 'node:https';
import type * as net from 'node:net';
import * as tls from 'node:tls';
import { oneEnrollment } from '../../src/bench/bench-wire';
import { issueCertificate } from '../../src/pki/certificates';

/** The wire step's client ends at its deadline, whatever its server does. */

test('a server that drips its reply a byte at a time: the enrollment fails at its deadline and its connection is closed', async () => {
  const now = Date.now();
  const validity = { notBefore: new Date(now - 86_400_000), notAfter: new Date(now + 86_400_000) };
  const root = await issueCertificate({
    commonName: 'bench root',
    ...validity,
    isCa: true,
    keyUsage: { keyCertSign: true },
  });
  const cert = await issueCertificate({
    commonName: 'cmg.bench.test',
    dnsNames: ['cmg.bench.test'],
    ...validity,
    issuer: root,
  });
  let closed: () => void = () => undefined;
  const connectionClosed = new Promise<void>((resolve) => (closed = resolve));
  // Each byte is progress, soon after the last: no idle timeout would ever end this reply.
  const server = https.createServer({ key: cert.privateKeyPem, cert: cert.certificatePem }, (_req, res) => {
    res.writeHead(200, { 'content-length': '100000' });
    const drip = setInterval(() => res.write('a'), 20);
    res.on('close', () => {
      clearInterval(drip);
      closed();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const origin = `https://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
    await expect(
      oneEnrollment(origin, tls.createSecureContext({ ca: root.certificatePem }), 300),
    ).rejects.toMatchObject({ name: 'TimeoutError' });
    await connectionClosed;
  } finally {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});
