import * as http from 'node:http';
import * as net from 'node:net';
import * as tls from 'node:tls';
import { CcmlabError } from '../core/errors';
import { MethodRewritingSocket } from './method-rewriter';

/**
 * One listener of the site: TCP or TLS accepted here, then handed to an http.Server
 * through a method-rewriting Duplex (for CCM_POST). close() stops accepting, lets
 * in-flight requests finish (up to a grace period), then closes every connection.
 */

export interface Listener {
  /** scheme://host:port, no trailing slash. */
  url: string;
  port: number;
  close(graceMs?: number): Promise<void>;
}

export interface ListenOptions {
  host: string;
  port: number;
  /** What listens, for errors: 'the CMG'. */
  role: string;
  tls?: { key: string; cert: string };
  handler: http.RequestListener;
  onTlsError?: (error: Error, remote: string) => void;
}

export async function listen(options: ListenOptions): Promise<Listener> {
  let inFlight = 0;
  let idle: (() => void) | undefined;
  const httpServer = // Headers up to the rewriter's 64 KiB reach the handlers, which refuse over-long fields with a log line.
  http.createServer({ keepAliveTimeout: 5_000, requestTimeout: 60_000, headersTimeout: 30_000, maxHeaderSize: 64 * 1024 }, (req, res) => {
    inFlight++;
    res.on('close', () => {
      inFlight--;
      if (inFlight === 0) idle?.();
    });
    options.handler(req, res);
  });
  const sockets = new Set<net.Socket>();
  const accept = (socket: net.Socket): void => {
    // The http server writes head and body separately through the Duplex: without this,
    // Nagle's algorithm and delayed ACKs stall every keep-alive response by tens of ms.
    socket.setNoDelay(true);
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    httpServer.emit('connection', new MethodRewritingSocket(socket));
  };
  const server: net.Server = options.tls
    ? tls.createServer({ key: options.tls.key, cert: options.tls.cert, requestCert: true, rejectUnauthorized: false }, accept)
    : net.createServer(accept);
  if (options.tls) {
    server.on('tlsClientError', (error: Error, socket: tls.TLSSocket) => {
      options.onTlsError?.(error, `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`);
      socket.destroy();
    });
  }
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(new CcmlabError('CCMLAB_E_LISTEN', `${options.role} cannot listen on ${options.host}:${options.port} (${error.code ?? error.message}${error.code === 'EADDRINUSE' ? ': another program holds the port' : ''}); stop what holds it, or give another port (0 for any free one, not recorded)`)),
    );
    server.listen(options.port, options.host, () => resolve());
  });
  const address = server.address() as net.AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `${options.tls ? 'https' : 'http'}://${host}:${address.port}`,
    port: address.port,
    close: async (graceMs = 5_000) => {
      const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
      httpServer.closeIdleConnections();
      if (inFlight > 0) {
        await Promise.race([new Promise<void>((resolve) => (idle = resolve)), new Promise((resolve) => setTimeout(resolve, graceMs).unref())]);
      }
      httpServer.closeAllConnections();
      for (const socket of sockets) socket.destroy();
      await stopped;
    },
  };
}
