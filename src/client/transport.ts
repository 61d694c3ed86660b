import * as tls from 'node:tls';
import * as undici from 'undici';
import { BoundedMemo } from '../core/bounded-memo';
import { resolveConnectTo, type ConnectTo } from '../core/connect-to';
import { CcmlabError, type ErrorCode } from '../core/errors';
import { printable } from '../core/text';
import { decodeJwtPayload } from '../protocol/jwt';
import { isBlocked } from '../world/lab-firewall';
import { checkRevocation, presentedCertificate, type ServerCertificate } from './revocation';
import type { CmLog } from '../log/logger';

/**
 * The client's HTTP, as CCMHTTP (WinHTTP) does it: keep-alive connections, any method
 * (CCM_POST), the reason phrase kept, and every failure logged in the lines a real client
 * writes. `--connect-to` sends a connection for HOST:PORT elsewhere while TLS still checks
 * HOST against the trusted root, as a hosts-file entry would.
 */

export interface HttpReply {
  status: number;
  statusText: string;
  headers: Record<string, string>;
  body: Buffer;
}

/** A location request (`SMS_MP/.sms_aut?…`) or any other: CCMHTTP's error lines differ (badStatusLines). */
export type RequestKind = 'location' | 'other';

export interface TransportOptions {
  connectTo: readonly ConnectTo[];
  /** PEM of the roots to trust; undefined trusts Node's default roots. */
  ca: string | string[] | undefined;
  maxBody?: number;
  /** Endpoints the lab's firewall refuses (`HOST:PORT`, `HOST:*`): connections to them fail as refused. */
  blocked?: readonly string[];
  /** Check servers' certificates against their CRLs (the default; /NoCRLCheck turns it off), by this clock. */
  crlCheck?: { now: () => Date };
  /** Shorter deadlines, set only by tests: the product always runs with DEFAULT_DEADLINES. */
  deadlines?: Deadlines;
}

/**
 * How long one exchange may take in all, whatever the server does. undici's header and body
 * timeouts (as WinHTTP's receive timeout) are idle ones: each byte re-arms them, so a server
 * that drips a byte a second would hold the client for ever.
 */
export interface Deadlines {
  /** A request: its connection (TLS and the revocation check included), its sending, the whole reply. */
  requestMs: number;
  /** A CRL fetch, from its connection to its last byte. */
  crlMs: number;
}

export const DEFAULT_DEADLINES: Deadlines = { requestMs: 60_000, crlMs: 15_000 };

/** An exchange that outlived its deadline (its code reads as a timeout: CCMCLIENT_E_TIMEOUT). */
class DeadlineExceeded extends Error {
  readonly code = 'CCMLAB_DEADLINE_TIMEOUT';
  constructor(ms: number) {
    super(`no complete answer within ${ms / 1000} s`);
  }
}

const WINHTTP_FLAGS: Record<string, { flag: string; value: number }> = {
  ERR_TLS_CERT_ALTNAME_INVALID: { flag: 'CERT_CN_INVALID', value: 0x10 },
  CERT_REV_FAILED: { flag: 'CERT_REV_FAILED', value: 0x1 },
  CERT_HAS_EXPIRED: { flag: 'CERT_DATE_INVALID', value: 0x2 },
  CERT_NOT_YET_VALID: { flag: 'CERT_DATE_INVALID', value: 0x2 },
  CERT_REVOKED: { flag: 'CERT_REVOKED', value: 0x80 },
};
const INVALID_CA = { flag: 'INVALID_CA', value: 0x8 };

function errorCode(error: unknown): string {
  const e = error as { code?: string; cause?: { code?: string } };
  return e.cause?.code ?? e.code ?? 'UNKNOWN';
}

/** What to do about each TLS failure: the advice follows the cause. */
const TLS_ADVICE: Record<string, { what: string; fix: string }> = {
  INVALID_CA: {
    what: 'the client does not trust the root that issued it',
    fix: "trust the site's root (the lab's roots: 'ccmlab lab trust list'; or --ca-file with the rootCaFile of 'ccmlab site show --json')",
  },
  CERT_CN_INVALID: {
    what: 'the certificate is not issued to that name',
    fix: 'check the CMG or MP name in /mp and CCMHOSTNAME against the name the site was made with',
  },
  CERT_DATE_INVALID: {
    what: "the certificate is not valid at the client's time",
    fix: "check the lab clock ('ccmlab clock show') or --now",
  },
  CERT_REVOKED: { what: 'the certificate is revoked', fix: "renew it on the site ('ccmlab site certs renew cmg')" },
  CERT_REV_FAILED: {
    what: 'its revocation could not be checked (the CRL is unreachable or stale)',
    fix: 'make the CRL reachable, or install with /NoCRLCheck',
  },
};

/** A server that answered in another protocol: TLS to a plain HTTP port, or HTTP to a TLS one. */
function protocolMismatch(code: string, target: URL): string | undefined {
  if (
    target.protocol === 'https:' &&
    (code === 'EPROTO' || /WRONG_VERSION_NUMBER|UNKNOWN_PROTOCOL|PACKET_LENGTH_TOO_LONG|HTTP_REQUEST/.test(code))
  ) {
    return `${target.host} does not speak TLS there (${code}): is that the MP's HTTP port? Use http:// for it, or the HTTPS port`;
  }
  if (
    target.protocol === 'http:' &&
    (code === 'UND_ERR_SOCKET' || code === 'HPE_INVALID_CONSTANT' || code.startsWith('HPE_'))
  ) {
    return `${target.host} closed the connection without an HTTP answer (${code}): is that a TLS (https) port? Use https:// for it, or the MP's HTTP port`;
  }
  return undefined;
}

/** An HTTP status the client cannot go on from, said as the client can know it; `fix` is the terminal's alone. */
function statusFailure(
  method: string,
  url: string,
  reply: HttpReply,
  authorization: string | undefined,
): { what: string; fix?: string } {
  const status = `${reply.status} ${printable(reply.statusText)}`;
  if (reply.status === 401 && reply.statusText === 'CMGService_Invalid_Token') {
    const kind =
      decodeJwtPayload(authorization?.replace(/^Bearer\s+/i, '') ?? '')?.Type === 'ClientToken'
        ? "the client's CCM token"
        : 'the bulk token';
    return { what: `the CMG refused ${kind} (${status})`, fix: "the site's CCM_STS.log gives the reason" };
  }
  if (reply.status === 403 && reply.statusText === 'CMGConnector_Clientcertificaterequired') {
    return {
      what: `the CMG connection point could not reach the management point (${status}): the MP requires HTTPS client certificates and the connection point has no client authentication certificate`,
      fix: "turn on Enhanced HTTP ('ccmlab site config set mp.enhancedHttp true') or give the connection point one ('ccmlab site config set connector.clientAuthCertificate true')",
    };
  }
  const roleId = /\/CCM_Proxy_(?:ServerAuth|MutualAuth)\/(\d+)\//i.exec(url)?.[1];
  if (reply.status === 404 && roleId) {
    return {
      what: `the CMG fronts no management point with role ID ${roleId} (${status})`,
      fix: "check the role ID in /mp and CCMHOSTNAME ('ccmlab site show' names it)",
    };
  }
  return { what: `${method} ${url} answered ${status}` };
}

/**
 * CCMHTTP's `ERROR` / `ERROR INFO` pair for an unexpected HTTP status, as KB-CMG prints it: a
 * location request (LocationServices.log) `URL=…, Port=443, Options=31`; any other `URL=… ,
 * Port=…, Options=224` (its ServiceMetadata line, the space before the comma kept). A 403 reads
 * `StatusCode= 403 StatusText= …` (KB-CMG's LocationServices lines); 401 and 500 have no spaces.
 */
export function badStatusLines(
  url: string,
  port: number,
  kind: RequestKind,
  status: number,
  statusText: string,
): [string, string] {
  const where = kind === 'location' ? `URL=${url}, Port=${port}, Options=31` : `URL=${url} , Port=${port}, Options=224`;
  const info =
    status === 403
      ? `StatusCode= ${status} StatusText= ${statusText}`
      : `StatusCode=${status} StatusText=${statusText}`;
  return [`[CCMHTTP] ERROR: ${where}, Code=0, Text=CCM_E_BAD_HTTP_STATUS_CODE`, `[CCMHTTP] ERROR INFO: ${info}`];
}

function portOf(url: URL): number {
  return url.port ? Number(url.port) : url.protocol === 'https:' ? 443 : 80;
}

/** Published WinHTTP request flags: ccmsetup's (DOC-ENTRA, ccmsetup.log) and the agent's (CcmMessaging.log). */
const REQUEST_FLAGS = { ccmsetup: 'Flags=0x4100, Options=0xe0', ccmhttp: 'Flags=0x4200, Options=0x1e0' } as const;

/**
 * The lines a real client writes before a request, in the log of the component sending it:
 * ccmsetup names a plain-HTTP request `CCM_POST 'HTTP://mp/ccm_system/request'` (REAL) and an
 * HTTPS one `ccmsetup: Host=…, Path=…, Port=443, Protocol=https, CcmTokenAuth=1, …`; the
 * agent writes `ccmhttp: Host=…` and `Target URL scheme is HTTPS: …`; a CCM token in the
 * header adds `Appending CCM Token to the header.` The host keeps the case it was given in.
 */
const tokenKinds = new BoundedMemo<boolean>(64);

/** Whether a bearer token is a CCM token (Type ClientToken): decoded once per token, as every request of a client sends the same one. */
function isCcmToken(bearer: string): boolean {
  return tokenKinds.get(bearer, () => decodeJwtPayload(bearer)?.Type === 'ClientToken');
}

export function requestLines(
  url: string,
  method: string,
  component: string,
  authorization: string | undefined,
): string[] {
  const target = new URL(url);
  const host = /^[a-z]+:\/\/([^/:?#]+)/i.exec(url)?.[1] ?? target.hostname;
  const agent = component === 'ccmsetup' ? 'ccmsetup' : 'ccmhttp';
  const bearer = authorization?.replace(/^Bearer\s+/i, '');
  const ccmToken = bearer !== undefined && isCcmToken(bearer);
  const lines: string[] = [];
  if (target.protocol === 'http:' && agent === 'ccmsetup') {
    lines.push(`${method} '${url.replace(/^http:/i, 'HTTP:')}'`);
  } else {
    const protocol = target.protocol.slice(0, -1);
    lines.push(
      `${agent}: Host=${host}, Path=${target.pathname}${target.search}, Port=${portOf(target)}, Protocol=${protocol}, CcmTokenAuth=${bearer ? 1 : 0}, ${REQUEST_FLAGS[agent]}`,
    );
    if (agent === 'ccmhttp') lines.push(`Target URL scheme is ${protocol.toUpperCase()}: ${url}`);
  }
  if (ccmToken) lines.push('Appending CCM Token to the header.');
  return lines;
}

const CONNECT_TIMEOUT_MS = 10_000;

interface TlsTarget {
  host: string;
  port: number;
  servername: string;
}

/** A TLS connection just made: its socket, the server's certificate, and how to vouch for it. */
interface OpenedTls {
  socket: tls.TLSSocket;
  /** From the handshake, or, on a resumed session, the one the session was made with. */
  certificate: ServerCertificate | undefined;
  /** The connection passed every check: its sessions may be resumed by the next. */
  trust(): void;
}

const contexts = new BoundedMemo<tls.SecureContext>(8);

/**
 * One TLS context per set of trusted roots for the process: made per connection or per client,
 * it parses every root again (about 1 ms), and a fleet's clients all trust the same roots. A
 * context holds no client secret (clients authenticate by token, not TLS certificate).
 */
function secureContextFor(ca: TransportOptions['ca']): tls.SecureContext {
  return contexts.get(JSON.stringify(ca ?? null), () => tls.createSecureContext({ ca }));
}

/**
 * TLS connections that resume the client's last session with the same server, as undici's
 * connector opens them otherwise (HTTP/1.1 by ALPN, no Nagle, TCP keep-alive, a bounded
 * connect). The sessions are held for the client's life (undici's own cache holds them
 * weakly, and a busy process collects them before the next connection could use them), and
 * only those of connections that passed every check, each with the certificate it was made
 * with: a resumed session shows no certificate, and its revocation is still checked.
 */
class TlsSessions {
  private readonly verified = new Map<string, { session: Buffer; certificate: ServerCertificate | undefined }>();
  private readonly context: tls.SecureContext;

  constructor(ca: TransportOptions['ca']) {
    this.context = secureContextFor(ca);
  }

  connect(to: TlsTarget, callback: (error: Error | null, opened: OpenedTls | null) => void): void {
    const key = `${to.servername}|${to.host}:${to.port}`;
    const offered = this.verified.get(key);
    let presented: ServerCertificate | undefined;
    // Node hands the server identity check the chain it has already built: kept, it spares building it again.
    const checkServerIdentity = (host: string, peer: tls.PeerCertificate): Error | undefined => {
      presented = presentedCertificate(peer);
      return tls.checkServerIdentity(host, peer);
    };
    const socket = tls.connect({
      host: to.host,
      port: to.port,
      servername: to.servername,
      secureContext: this.context,
      rejectUnauthorized: true,
      session: offered?.session,
      ALPNProtocols: ['http/1.1'],
      checkServerIdentity,
    });
    socket.setNoDelay(true);
    socket.setKeepAlive(true, 60_000);
    let certificate: ServerCertificate | undefined;
    let trusted = false;
    let latest: Buffer | undefined;
    const keep = (): void => {
      if (trusted && latest) this.verified.set(key, { session: latest, certificate });
    };
    socket.on('session', (session: Buffer) => {
      latest = session;
      keep();
    });
    const finish = onceWithin(
      CONNECT_TIMEOUT_MS,
      (error: Error | null) => {
        if (error) {
          socket.destroy();
          return callback(error, null);
        }
        certificate = socket.isSessionReused() ? offered?.certificate : presented;
        const trust = (): void => {
          trusted = true;
          keep();
        };
        callback(null, { socket, certificate, trust });
      },
      () =>
        new undici.errors.ConnectTimeoutError(
          `Connect Timeout Error (attempted address: ${to.host}:${to.port}, timeout: ${CONNECT_TIMEOUT_MS}ms)`,
        ),
    );
    socket.once('secureConnect', () => finish(null));
    socket.on('error', (error) => finish(error));
  }
}

/** `done` called once: by the first caller, or with `timeout()` after `ms`. */
function onceWithin(
  ms: number,
  done: (error: Error | null) => void,
  timeout: () => Error,
): (error: Error | null) => void {
  let called = false;
  const timer = setTimeout(() => finish(timeout()), ms);
  const finish = (error: Error | null): void => {
    if (called) return;
    called = true;
    clearTimeout(timer);
    done(error);
  };
  return finish;
}

type RequestInit = { method: string; headers?: Record<string, string>; body?: Buffer | string };
type Connect = (opts: undici.buildConnector.Options, callback: undici.buildConnector.Callback) => void;

/** A server as a connection reaches it, after the lab's names and --connect-to: `host:port`. */
function serverOf(connectTo: readonly ConnectTo[], hostname: string, port: number): string {
  const target = resolveConnectTo(connectTo, hostname, port);
  return `${target.host.toLowerCase()}:${target.port}`;
}

/**
 * What undici calls with a request's reply, collected into an HttpReply within `deadlineMs`.
 * A reply over `maxBody` or past its deadline ends the request at once: it is aborted, not
 * paused (a paused reply holds its connection, and close() would wait for it for ever), as
 * soon as undici hands it a connection if it has none yet. `abandoned` says so to the owner.
 */
function replyHandler(
  target: URL,
  maxBody: number,
  deadlineMs: number,
  settle: { resolve: (reply: HttpReply) => void; reject: (error: Error) => void; abandoned: () => void },
): undici.Dispatcher.DispatchHandler {
  let status = 0;
  let statusText = '';
  const headers: Record<string, string> = {};
  const chunks: Buffer[] = [];
  let size = 0;
  let abort: ((reason: Error) => void) | undefined;
  let failure: Error | undefined;
  const fail = (error: Error): void => {
    if (failure) return;
    failure = error;
    clearTimeout(timer);
    settle.abandoned();
    settle.reject(error);
    abort?.(error);
  };
  const timer = setTimeout(() => fail(new DeadlineExceeded(deadlineMs)), deadlineMs);
  return {
    onConnect: (abortRequest: (reason: Error) => void) => {
      abort = abortRequest;
      if (failure) abortRequest(failure);
    },
    onHeaders: (statusCode: number, raw: Buffer[], _resume: () => void, text: string) => {
      status = statusCode;
      statusText = text;
      for (let i = 0; i + 1 < raw.length; i += 2)
        headers[raw[i].toString('latin1').toLowerCase()] = raw[i + 1].toString('latin1');
      return true;
    },
    onData: (chunk: Buffer) => {
      if (failure) return false;
      size += chunk.length;
      if (size > maxBody) {
        fail(
          new CcmlabError(
            'CCMCLIENT_E_BAD_REPLY',
            `${target.href} sent more than ${maxBody} bytes; is --connect-to pointing at the site?`,
            { logText: `${target.href} sent more than ${maxBody} bytes` },
          ),
        );
        return false;
      }
      chunks.push(chunk);
      return true;
    },
    onComplete: () => {
      clearTimeout(timer);
      settle.resolve({ status, statusText, headers, body: Buffer.concat(chunks) });
    },
    onError: (error: Error) => {
      clearTimeout(timer);
      settle.reject(error);
    },
  } as unknown as undici.Dispatcher.DispatchHandler;
}

export class ClientHttp {
  private readonly agent: undici.Agent;
  private readonly maxBody: number;
  private readonly options: TransportOptions;
  private readonly deadlines: Deadlines;
  private readonly plain = undici.buildConnector({});
  /** A request was left at its deadline or size cap: it may still wait for a connection, which close() must not wait for. */
  private abandoned = false;

  constructor(options: TransportOptions) {
    this.options = options;
    this.tls = new TlsSessions(options.ca);
    this.maxBody = options.maxBody ?? 4 * 1024 * 1024;
    this.deadlines = options.deadlines ?? DEFAULT_DEADLINES;
    this.agent = new undici.Agent({
      // One connection per server, as WinHTTP keeps for a client's requests one after another:
      // undici would otherwise open a second one for a request sent the moment the last ended.
      connections: 1,
      keepAliveTimeout: 10_000,
      headersTimeout: 30_000,
      bodyTimeout: 30_000,
      connect: (opts, callback) => this.connect(opts, callback, []),
    });
  }

  /**
   * A connection for undici: refused if the lab's firewall blocks it, sent where --connect-to
   * says, and over TLS checked (name, chain, revocation) before undici may use it. `checking`:
   * the servers whose connections wait for this one (it fetches a CRL they need).
   */
  private connect(
    opts: undici.buildConnector.Options,
    callback: undici.buildConnector.Callback,
    checking: readonly string[],
  ): void {
    const port = Number(opts.port) || (opts.protocol === 'https:' ? 443 : 80);
    const { blocked, connectTo } = this.options;
    if (blocked && isBlocked(blocked, opts.hostname, port)) {
      callback(
        Object.assign(new Error(`connect ECONNREFUSED ${opts.hostname}:${port}`), {
          code: 'ECONNREFUSED',
          firewall: `${opts.hostname.toLowerCase()}:${port}`,
        }),
        null,
      );
      return;
    }
    const target = resolveConnectTo(connectTo, opts.hostname, port);
    // A CRL is fetched by CryptoAPI, not by the caller of WinHTTP: its connection is not logged.
    if (checking.length === 0)
      this.connectionLogs.get(`${opts.protocol}//${opts.hostname}:${port}`)?.info(`Created connection on port ${port}`);
    if (opts.protocol !== 'https:')
      return this.plain({ ...opts, hostname: target.host, port: String(target.port) }, callback);
    // TLS checks the name the client asked for, not where the connection went.
    this.tls.connect(
      { host: target.host, port: target.port, servername: opts.servername ?? opts.hostname },
      (error, opened) => {
        if (error || !opened) return callback(error ?? new Error('no TLS connection'), null);
        this.vouchFor(opened, [...checking, serverOf(connectTo, opts.hostname, port)], callback);
      },
    );
  }

  /** Hands undici a TLS connection once its certificate passed the revocation check (unless /NoCRLCheck). */
  private vouchFor(opened: OpenedTls, checking: readonly string[], callback: undici.buildConnector.Callback): void {
    const { socket } = opened;
    const crlCheck = this.options.crlCheck;
    if (!crlCheck) {
      opened.trust();
      return callback(null, socket);
    }
    checkRevocation(opened.certificate, crlCheck.now(), (url) => this.fetchCrl(url, checking)).then(
      () => {
        opened.trust();
        callback(null, socket);
      },
      (failure: Error) => {
        socket.destroy();
        callback(failure, null);
      },
    );
  }

  /** This client's TLS sessions: its next connection to a server resumes the last one. */
  private readonly tls: TlsSessions;

  private readonly crls = new Map<string, Promise<Buffer>>();
  /** The log of the request that may open a connection to an origin: it says so, as WinHTTP's caller does. */
  private readonly connectionLogs = new Map<string, CmLog>();

  /**
   * A CRL, once per URL and client run. One that can only be reached through a connection
   * waiting for it (the server being checked, or one whose own check needs this CRL) could
   * never arrive: it is refused at once, as WinHTTP fails such a revocation check (CRLs go
   * over plain HTTP for this reason: learn.microsoft.com/en-us/answers/questions/169840).
   */
  private fetchCrl(url: string, checking: readonly string[]): Promise<Buffer> {
    const target = new URL(url);
    const server = serverOf(this.options.connectTo, target.hostname, portOf(target));
    if (checking.includes(server)) {
      return Promise.reject(
        new Error(
          `it can only be fetched through the connection to ${server} that it is to vouch for; publish the CRL over plain HTTP on another server`,
        ),
      );
    }
    let crl = this.crls.get(url);
    if (!crl) {
      crl = this.fetchCrlOnce(target, checking);
      this.crls.set(url, crl);
    }
    return crl;
  }

  /** A CRL on a connection of its own (waiting on none of the client's), within the CRL deadline. */
  private async fetchCrlOnce(target: URL, checking: readonly string[]): Promise<Buffer> {
    const connect: Connect = (opts, callback) => this.connect(opts, callback, checking);
    const client = new undici.Client(target.origin, { headersTimeout: 30_000, bodyTimeout: 30_000, connect });
    try {
      const reply = await this.dispatch(client, target, { method: 'GET' }, this.deadlines.crlMs);
      if (reply.status !== 200) throw new Error(`HTTP ${reply.status}`);
      return reply.body;
    } finally {
      void client.destroy();
    }
  }

  close(): Promise<void> {
    return this.abandoned ? this.agent.destroy() : this.agent.close();
  }

  /**
   * One request. A network or TLS failure is logged to `log` in CCMHTTP's words and thrown;
   * an HTTP status outside `ok` is logged (ERROR / ERROR INFO) and thrown too.
   */
  async request(
    url: string,
    init: RequestInit & { ok?: number[]; kind?: RequestKind },
    log: CmLog,
  ): Promise<HttpReply> {
    const target = new URL(url);
    for (const line of requestLines(url, init.method, log.name, init.headers?.authorization)) log.info(line);
    this.connectionLogs.set(`${target.protocol}//${target.hostname}:${portOf(target)}`, log);
    let reply: HttpReply;
    try {
      reply = await this.dispatch(this.agent, target, init, this.deadlines.requestMs);
    } catch (error) {
      throw this.networkFailure(url, target, error, log);
    }
    if (!(init.ok ?? [200]).includes(reply.status)) {
      for (const line of badStatusLines(
        url,
        portOf(target),
        init.kind ?? 'other',
        reply.status,
        printable(reply.statusText),
      ))
        log.error(line);
      const { what, fix } = statusFailure(init.method, url, reply, init.headers?.authorization);
      throw new CcmlabError('CCMCLIENT_E_BAD_HTTP_STATUS', fix === undefined ? what : `${what}; ${fix}`, {
        details: { status: reply.status, statusText: reply.statusText },
        logText: what,
      });
    }
    return reply;
  }

  /** One exchange through `dispatcher`, ended at `deadlineMs` whatever the server does. */
  private dispatch(
    dispatcher: undici.Dispatcher,
    target: URL,
    init: RequestInit,
    deadlineMs: number,
  ): Promise<HttpReply> {
    return new Promise((resolve, reject) => {
      const body = init.body === undefined ? undefined : Buffer.from(init.body);
      const abandoned = () => (this.abandoned = true);
      dispatcher.dispatch(
        {
          origin: target.origin,
          path: `${target.pathname}${target.search}`,
          method: init.method as undici.Dispatcher.HttpMethod,
          headers: {
            'user-agent': 'SMS CCM 5.0',
            ...(body ? { 'content-length': String(body.length) } : {}),
            ...init.headers,
          },
          body,
          // Without this undici opens a new connection for every non-idempotent method.
          reset: false,
        },
        replyHandler(target, this.maxBody, deadlineMs, { resolve, reject, abandoned }),
      );
    });
  }

  private networkFailure(url: string, target: URL, error: unknown, log: CmLog): CcmlabError {
    if (error instanceof CcmlabError) return error;
    const code = errorCode(error);
    const port = portOf(target);
    // `logText`: the failure as ccmsetup.log states it, without the host's error codes and the terminal's advice.
    const fail = (errorName: ErrorCode, winhttp: number, text: string, message: string, logText: string) => {
      log.error(
        `[CCMHTTP] ERROR: URL=${url}, Port=${port}, Options=${target.protocol === 'https:' ? 63 : 0}, Code=${winhttp}, Text=${text}`,
      );
      return new CcmlabError(errorName, message, { cause: error, logText });
    };
    const tls =
      WINHTTP_FLAGS[code] ?? (/CERT|SELF_SIGNED|ISSUER|UNABLE_TO_VERIFY|SIGNATURE/.test(code) ? INVALID_CA : undefined);
    if (tls) {
      // Real logs write WinHTTP's callback lines as information (type 1); only the ERROR line after them is an error.
      log.info('[CCMHTTP] AsyncCallback(): WINHTTP_CALLBACK_STATUS_SECURE_FAILURE Encountered');
      log.info('[CCMHTTP]            : dwStatusInformationLength is 4');
      // As the KB prints it: the WINHTTP_CALLBACK_STATUS_FLAG_* bits that are set (0x8 INVALID_CA, 0x9 with REV_FAILED).
      log.info(`[CCMHTTP]            : lpvStatusInformation is 0x${tls.value.toString(16)}`);
      log.info(`[CCMHTTP]            : WINHTTP_CALLBACK_STATUS_FLAG_${tls.flag} is set`);
      const advice = TLS_ADVICE[tls.flag] ?? TLS_ADVICE.INVALID_CA;
      return fail(
        'CCMCLIENT_E_SECURE_FAILURE',
        12175,
        'ERROR_WINHTTP_SECURE_FAILURE',
        `TLS with ${target.host} failed (${tls.flag}: ${(error as Error).message}); ${advice.what}: ${advice.fix}`,
        `TLS with ${target.host} failed (${tls.flag}); ${advice.what}`,
      );
    }
    const protocol = protocolMismatch(code, target);
    if (protocol)
      return fail(
        'CCMCLIENT_E_PROTOCOL',
        12152,
        'ERROR_WINHTTP_INVALID_SERVER_RESPONSE',
        protocol,
        `${target.host} did not answer in the protocol asked for`,
      );
    const firewall =
      (error as { firewall?: string; cause?: { firewall?: string } }).cause?.firewall ??
      (error as { firewall?: string }).firewall;
    if (firewall) {
      return fail(
        'CCMCLIENT_E_CANNOT_CONNECT',
        12029,
        'ERROR_WINHTTP_CANNOT_CONNECT',
        `cannot connect to ${target.host}: the lab's firewall blocks ${firewall} ('ccmlab lab firewall unblock ${firewall}' opens it)`,
        `cannot connect to ${target.host}`,
      );
    }
    if (code === 'ECONNREFUSED' || code === 'ECONNRESET' || code === 'EHOSTUNREACH' || code === 'UND_ERR_SOCKET') {
      return fail(
        'CCMCLIENT_E_CANNOT_CONNECT',
        12029,
        'ERROR_WINHTTP_CANNOT_CONNECT',
        `cannot connect to ${target.host} (${code}); is the site running ('ccmlab site start'), and does any --connect-to point at its port?`,
        `cannot connect to ${target.host}`,
      );
    }
    if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
      return fail(
        'CCMCLIENT_E_NAME_NOT_RESOLVED',
        12007,
        'ERROR_WINHTTP_NAME_NOT_RESOLVED',
        `${target.hostname} does not resolve: start the lab's site ('ccmlab site start' publishes its names), or map it with --connect-to ${target.hostname}:${port}:127.0.0.1:<port>`,
        `${target.hostname} does not resolve`,
      );
    }
    if (code.includes('TIMEOUT')) {
      const why = error instanceof DeadlineExceeded ? error.message : code;
      return fail(
        'CCMCLIENT_E_TIMEOUT',
        12002,
        'ERROR_WINHTTP_TIMEOUT',
        `${target.host} did not answer in time (${why})`,
        `${target.host} did not answer in time`,
      );
    }
    return fail(
      'CCMCLIENT_E_CANNOT_CONNECT',
      12030,
      'ERROR_WINHTTP_CONNECTION_ERROR',
      `${target.host}: ${(error as Error).message} (${code})`,
      `the connection to ${target.host} failed`,
    );
  }
}
