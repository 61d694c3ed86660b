import * as http from 'node:http';
import * as net from 'node:net';
import * as tls from 'node:tls';
import { CcmlabError } from '../core/errors';
import { ConnectionGuard, type ListenerLimits } from './connection-guard';
import { MethodRewritingSocket } from './method-rewriter';

/**
 * One listener of the site: TCP accepted here (TLS terminated here too), then handed to an
 * http.Server through a method-rewriting Duplex (for CCM_POST). Each connection is guarded
 * by the limits read when it is accepted. close() stops accepting, lets in-flight requests
 * finish (up to a grace period), then closes every connection.
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
  /** The TLS key and certificate, asked for on each connection: a new object means a renewed certificate. */
  tls?: () => { key: string; cert: string };
  handler: http.RequestListener;
  /** Read on each accepted connection, so a changed setting applies to new connections. */
  limits: () => ListenerLimits;
  /** One line for each connection closed by a limit and each request refused for its framing. */
  log: (message: string) => void;
  onTlsError?: (error: Error, remote: string) => void;
}

/** The http server behind every connection of a listener, counting requests per connection and in all. */
function requestServer(handler: http.RequestListener) {
  const guards = new WeakMap<object, ConnectionGuard>();
  let inFlight = 0;
  let drained: (() => void) | undefined;
  // No keep-alive timeout: the guard's idle timeout replaces it. (Node's header and request
  // timeouts never run here: they are checked only for a server that listens itself.)
  // Headers up to the rewriter's 64 KiB reach the handlers, which refuse over-long fields with a log line.
  const httpServer = http.createServer({ keepAliveTimeout: 0, maxHeaderSize: 64 * 1024 }, (req, res) => {
    inFlight++;
    const guard = guards.get(req.socket);
    guard?.requestStarted();
    res.on('close', () => {
      guard?.responseFinished();
      inFlight--;
      if (inFlight === 0) drained?.();
    });
    handler(req, res);
  });
  const drain = async (graceMs: number): Promise<void> => {
    if (inFlight === 0) return;
    await Promise.race([
      new Promise<void>((resolve) => (drained = resolve)),
      new Promise((resolve) => setTimeout(resolve, graceMs).unref()),
    ]);
  };
  return { httpServer, guards, drain };
}

/** Everything a listener does with an accepted TCP connection, up to the http server. */
function acceptor(
  options: ListenOptions,
  sockets: Set<net.Socket>,
  requests: ReturnType<typeof requestServer>,
): (socket: net.Socket) => void {
  const hand = (socket: net.Socket | tls.TLSSocket, guard: ConnectionGuard): void => {
    const rewriting = new MethodRewritingSocket(socket, {
      phase: (phase) => guard.setPhase(phase),
      wrote: () => guard.responseProgress(),
      refused: (refusal) =>
        options.log(
          `Refused a request from ${remoteOf(socket)}: ${refusal.status} (${refusal.reason}); connection closed.`,
        ),
    });
    requests.guards.set(rewriting, guard);
    requests.httpServer.emit('connection', rewriting);
  };
  // TLS is terminated per socket rather than by a tls.Server, so that the guard (with the
  // limits of this connection) bounds the handshake too.
  // A session ID context, as tls.Server sets one: without it, OpenSSL refuses to resume a
  // session when client certificates are requested.
  let context: { source: object; secureContext: tls.SecureContext } | undefined;
  const currentContext = (credential: { key: string; cert: string }): tls.SecureContext => {
    if (context?.source !== credential)
      context = {
        source: credential,
        secureContext: tls.createSecureContext({ ...credential, sessionIdContext: 'ccmlab-site' }),
      };
    return context.secureContext;
  };
  const secure = (socket: net.Socket, guard: ConnectionGuard, secureContext: tls.SecureContext): void => {
    const tlsSocket = new tls.TLSSocket(socket, {
      isServer: true,
      secureContext,
      requestCert: true,
      rejectUnauthorized: false,
    });
    let handshaken = false;
    tlsSocket.once('secure', () => {
      handshaken = true;
      guard.setPhase('between');
      hand(tlsSocket, guard);
    });
    tlsSocket.on('error', (error) => {
      if (!handshaken) options.onTlsError?.(error, remoteOf(socket));
      tlsSocket.destroy();
    });
  };
  return (socket) => {
    const limits = options.limits();
    if (sockets.size >= limits.maxConnections) {
      options.log(
        `Refused connection from ${remoteOf(socket)}: listener.maxConnections (${limits.maxConnections}) connections already open.`,
      );
      socket.destroy();
      return;
    }
    // The http server writes head and body separately through the Duplex: without this,
    // Nagle's algorithm and delayed ACKs stall every keep-alive response by tens of ms.
    socket.setNoDelay(true);
    sockets.add(socket);
    const remote = remoteOf(socket);
    const guard = new ConnectionGuard(limits, options.tls ? 'handshake' : 'between', (reason) => {
      options.log(`Closed connection from ${remote}: ${reason}.`);
      socket.destroy();
    });
    socket.on('close', () => {
      guard.stop();
      sockets.delete(socket);
    });
    socket.on('error', () => socket.destroy());
    if (options.tls) secure(socket, guard, currentContext(options.tls()));
    else hand(socket, guard);
  };
}

export async function listen(options: ListenOptions): Promise<Listener> {
  const requests = requestServer(options.handler);
  const sockets = new Set<net.Socket>();
  const server = net.createServer(acceptor(options, sockets, requests));
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        new CcmlabError(
          'CCMLAB_E_LISTEN',
          `${options.role} cannot listen on ${options.host}:${options.port} (${error.code ?? error.message}${error.code === 'EADDRINUSE' ? ': another program holds the port' : ''}); stop what holds it, or give another port (0 for any free one, not recorded)`,
        ),
      ),
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
      requests.httpServer.closeIdleConnections();
      await requests.drain(graceMs);
      requests.httpServer.closeAllConnections();
      for (const socket of sockets) socket.destroy();
      await stopped;
    },
  };
}

function remoteOf(socket: net.Socket): string {
  return `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`;
}
