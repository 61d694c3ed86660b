import type * as http from 'node:http';
import { PassedSignatures } from '../core/passed-signatures';
import type { Clock } from '../core/clock';
import type { CmLog } from '../log/logger';
import { verifyClientToken, parseClientToken } from '../protocol/ccm-signature';
import { findClientBySmsid, type ClientRecord } from './clients';
import type { Site } from './site-dir';
import { SiteCredentials } from './site-credentials';
import { ClientCertificates } from './client-certificates';
import { PublishedCrl } from './revocation';
import type { SiteDb } from './site-db';
import { currentSettings, type SiteSettings } from './settings';
import type { TokenSigner, TokenVerifier } from './token-service';
import { ORIGINAL_METHOD_HEADER } from './method-rewriter';
import { signedTimeDefect } from './signed-time';

/** What the MP and the CMG of one running site share. */
export interface SiteLogs {
  registration: CmLog;
  sts: CmLog;
  location: CmLog;
  policy: CmLog;
  cmg: CmLog;
  /** SMS_CLOUD_PROXYCONNECTOR.log: the CMG connection point. */
  connector: CmLog;
}

export interface SiteLimits {
  /** Largest request body, in bytes (413 above it). */
  maxBody: number;
  /** Largest inflated message body, in bytes. */
  maxInflated: number;
}

export const DEFAULT_SITE_LIMITS: SiteLimits = { maxBody: 2 * 1024 * 1024, maxInflated: 8 * 1024 * 1024 };
/** The reason phrase of every CMG refusal (HTTP 401). */
export const INVALID_TOKEN_REASON = 'CMGService_Invalid_Token';

export class SiteRuntime {
  readonly site: Site;
  readonly db: SiteDb;
  readonly clock: Clock;
  readonly logs: SiteLogs;
  readonly limits: SiteLimits;
  readonly credentials: SiteCredentials;
  readonly crl: PublishedCrl;
  readonly certificates = new ClientCertificates();
  /** Token and proof signatures already verified: a client sends the same ones with each request. */
  readonly passedSignatures = new PassedSignatures();

  constructor(site: Site, clock: Clock, logs: SiteLogs, limits: SiteLimits = DEFAULT_SITE_LIMITS) {
    this.site = site;
    this.db = site.db;
    this.clock = clock;
    this.logs = logs;
    this.limits = limits;
    this.credentials = new SiteCredentials(site);
    this.crl = new PublishedCrl(this.credentials);
  }

  settings(): Readonly<SiteSettings> {
    return currentSettings(this.db);
  }

  /** The token signing keys, reloaded when `site certs renew token-signing` replaces them. */
  tokenKeys(): { signer: TokenSigner; verifier: TokenVerifier } {
    return this.credentials.tokenKeys();
  }

  /** The MP's short name, as message headers carry it. */
  get mpNetbios(): string {
    return this.site.config.mpName.split('.')[0].toUpperCase();
  }
}

export type ProofCheck = { ok: true; client: ClientRecord } | { ok: false; reason: string };

/**
 * Proof that the caller holds a registered client's signing key: the ClientToken header
 * (SMSID and a time within the signed-time window of the site's clock) signed with that key.
 */
export function checkProof(runtime: SiteRuntime, req: http.IncomingMessage): ProofCheck {
  const header = (name: string) => {
    const value = req.headers[name];
    return Array.isArray(value) ? value[0] : value;
  };
  const token = parseClientToken(header('clienttoken'));
  if (!token.ok) return { ok: false, reason: token.defect };
  const skewed = signedTimeDefect('the ClientToken time', token.time, runtime.clock.now());
  if (skewed) return { ok: false, reason: skewed };
  const client = findClientBySmsid(runtime.db, token.smsid);
  if (!client) return { ok: false, reason: `no client ${token.smsid} is registered` };
  if (client.state !== 'registered')
    return { ok: false, reason: `client ${token.smsid} is ${client.state}, not registered` };
  const signature = header('clienttokensignature') ?? '';
  const value = header('clienttoken') as string;
  const key = runtime.certificates.parse(client.signingCertificate);
  if (
    !runtime.passedSignatures.verify([key.keyId, value, signature], () =>
      verifyClientToken(value, signature, key.publicKey),
    )
  ) {
    return {
      ok: false,
      reason: `the ClientTokenSignature does not verify with the signing key registered for ${token.smsid}`,
    };
  }
  return { ok: true, client };
}

export function requestMethod(req: http.IncomingMessage): string {
  const original = req.headers[ORIGINAL_METHOD_HEADER];
  return typeof original === 'string' ? original : (req.method ?? 'GET');
}

export function remoteOf(req: http.IncomingMessage): string {
  return `${req.socket.remoteAddress ?? '?'}:${req.socket.remotePort ?? '?'}`;
}

/** Reads the body up to `max` bytes; past it, stops buffering and says so (the caller answers 413). */
export function readBody(req: http.IncomingMessage, max: number): Promise<Buffer | 'too-large'> {
  const declared = Number(req.headers['content-length'] ?? '0');
  if (Number.isFinite(declared) && declared > max) {
    req.resume();
    return Promise.resolve('too-large');
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > max) over = true;
      if (!over) chunks.push(chunk);
    });
    req.on('end', () => resolve(over ? 'too-large' : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

export interface Reply {
  status: number;
  reason?: string;
  headers?: Record<string, string | string[]>;
  body?: Buffer | string;
}

export function send(res: http.ServerResponse, reply: Reply): void {
  const body =
    reply.body === undefined
      ? Buffer.alloc(0)
      : Buffer.isBuffer(reply.body)
        ? reply.body
        : Buffer.from(reply.body, 'utf8');
  const headers: Record<string, string | string[] | number> = {
    'content-length': body.length,
    ...(reply.headers ?? {}),
  };
  if (reply.reason) res.writeHead(reply.status, reply.reason, headers);
  else res.writeHead(reply.status, headers);
  res.end(body);
}

export function sendText(res: http.ServerResponse, status: number, message: string, reason?: string): void {
  send(res, { status, reason, headers: { 'content-type': 'text/plain; charset=utf-8' }, body: `${message}\n` });
}
