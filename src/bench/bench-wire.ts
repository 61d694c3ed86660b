import { spawn, type ChildProcess } from 'node:child_process';
import * as tls from 'node:tls';
import * as undici from 'undici';
import { issueCertificate, type KeyPairPem } from '../pki/certificates';
import { CcmlabError } from '../core/errors';
import { processCpuMs } from './bench-fleet';

/**
 * enroll_wire_limit: enrollments/s if an enrollment cost only its wire, measured as
 * enroll_cached is (a server in another process, 32 clients at once, each a connection of its
 * own): one TLS handshake with an RSA-2048 server certificate issued by a root the client
 * trusts, then an enrollment's six HTTPS requests over that kept-alive connection, with an
 * enrollment's sizes (a ccmlab fleet client's, measured: ServiceMetadata, the registration and
 * its confirmation, the CCM token, MPKEYINFORMATION, MPLIST), a bearer token in each. Node's
 * https server and an undici client do nothing else: no XML, no log, no database, no state.
 * The ceiling any enrollment over Node's TLS and HTTP can reach on this machine, and the CPU
 * each side spends on the wire alone.
 */

const REQUEST_BYTES = [0, 4555, 4559, 0, 0, 0];
/** Made once: the measured loop spends its CPU on the wire, not on filling buffers. */
const REQUEST_BODIES = REQUEST_BYTES.map((size) => (size > 0 ? Buffer.alloc(size, 0x42) : undefined));
const REPLY_BYTES = [207, 1093, 1103, 1147, 738, 171];
const BEARER = `Bearer ${'x'.repeat(1150)}`;
const HOST = 'cmg.bench.test';

/** The server, as source (it runs the same from src/ and dist/): its key and certificate on stdin, its port on stdout. */
const SERVER_SOURCE = `
const https = require('node:https');
let input = '';
process.stdin.on('data', (d) => (input += d));
process.stdin.on('end', () => {
  const { key, cert, replies } = JSON.parse(input);
  const bodies = replies.map((n) => Buffer.alloc(n, 0x41));
  const server = https.createServer({ key, cert, keepAliveTimeout: 30000 }, (req, res) => {
    req.resume();
    req.on('end', () => res.end(bodies[Number(req.url.slice(1))] || bodies[0]));
  });
  server.listen(0, '127.0.0.1', () => process.stdout.write('port ' + server.address().port + '\\n'));
});
`;

function startServer(key: string, cert: string): Promise<{ child: ChildProcess; port: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-e', SERVER_SOURCE], { stdio: ['pipe', 'pipe', 'inherit'] });
    let out = '';
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const port = /port (\d+)/.exec(out)?.[1];
      if (port) resolve({ child, port: Number(port) });
    });
    child.once('error', reject);
    child.once('exit', (code) =>
      reject(new CcmlabError('CCMLAB_E_INTERNAL', `the bench's wire server exited ${code} before it listened`)),
    );
    child.stdin?.end(JSON.stringify({ key, cert, replies: REPLY_BYTES }));
  });
}

/**
 * How long an enrollment's six exchanges may take in all (they take milliseconds): undici's own
 * timeouts are idle ones, which a server dripping a byte at a time would never trip.
 */
const ENROLLMENT_DEADLINE_MS = 30_000;

export async function oneEnrollment(
  origin: string,
  context: tls.SecureContext,
  deadlineMs = ENROLLMENT_DEADLINE_MS,
): Promise<void> {
  const agent = new undici.Agent({ connections: 1, connect: { secureContext: context, servername: HOST } });
  const signal = AbortSignal.timeout(deadlineMs);
  try {
    for (const [i, body] of REQUEST_BODIES.entries()) {
      const reply = await agent.request({
        origin,
        path: `/${i}`,
        method: body ? 'POST' : 'GET',
        body,
        headers: { authorization: BEARER },
        signal,
      });
      await reply.body.arrayBuffer();
    }
  } finally {
    // An aborted request may still wait for its connection: close() would wait with it.
    await (signal.aborted ? agent.destroy() : agent.close());
  }
}

export interface WireRun {
  /** Enrollments per second. */
  rate: number;
  /** CPU ms per enrollment of the client side (this process) and of the server (undefined where /proc is not). */
  clientCpuMs: number;
  serverCpuMs: number | undefined;
}

/** `clients` wire-only enrollments, 32 at a time; `keys`: two throwaway pairs (root, server). */
export async function enrollmentWire(clients: number, keys: readonly KeyPairPem[]): Promise<WireRun> {
  const notBefore = new Date(Date.now() - 3_600_000);
  const notAfter = new Date(Date.now() + 86_400_000);
  const root = await issueCertificate(
    { commonName: 'bench root', notBefore, notAfter, isCa: true, keyUsage: { keyCertSign: true } },
    keys[0],
  );
  const server = await issueCertificate(
    { commonName: HOST, dnsNames: [HOST], notBefore, notAfter, extendedKeyUsage: ['1.3.6.1.5.5.7.3.1'], issuer: root },
    keys[1],
  );
  const { child, port } = await startServer(server.privateKeyPem, server.certificatePem);
  try {
    const origin = `https://127.0.0.1:${port}`;
    const context = tls.createSecureContext({ ca: root.certificatePem });
    let next = 0;
    const serverBefore = child.pid === undefined ? undefined : processCpuMs(child.pid);
    const cpuBefore = process.cpuUsage();
    const start = process.hrtime.bigint();
    await Promise.all(
      Array.from({ length: Math.min(32, clients) }, async () => {
        while (next < clients) {
          next += 1;
          await oneEnrollment(origin, context);
        }
      }),
    );
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    const cpu = process.cpuUsage(cpuBefore);
    const serverAfter = child.pid === undefined ? undefined : processCpuMs(child.pid);
    return {
      rate: clients / seconds,
      clientCpuMs: (cpu.user + cpu.system) / 1000 / clients,
      serverCpuMs:
        serverBefore !== undefined && serverAfter !== undefined ? (serverAfter - serverBefore) / clients : undefined,
    };
  } finally {
    await stopped(child);
  }
}

function stopped(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill();
  return exited;
}
