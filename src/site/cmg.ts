import type * as http from 'node:http';
import { printable } from '../core/text';
import { certificateBinding, decodeJwtPayload } from '../protocol/jwt';
import { buildServiceMetadata } from '../protocol/mp-replies';
import type { Caller, MpRequest } from './mp';
import { forwardToMp } from './connection-point';
import { issuedBulkToken } from './bulk-tokens';
import { checkProof, INVALID_TOKEN_REASON, send, type SiteRuntime } from './site-runtime';
import { verifySiteToken, type TokenFailure } from './token-service';

/**
 * The Cloud Management Gateway: it checks the bearer token before anything else and hands
 * `/CCM_Proxy_*Auth/<role id>/<MP path>` to its connection point (connection-point.ts), which
 * forwards it to the MP in-process, prefix stripped. A bulk registration token opens only
 * ServiceMetadata, registration, the first CCM token and the client source (CCM_Client);
 * everything else needs the client's unique token and proof that the caller holds the key
 * the token is bound to. Every refusal
 * of a token is HTTP 401 with the reason phrase CMGService_Invalid_Token.
 */

const PROXY = /^\/CCM_Proxy_(ServerAuth|MutualAuth)\/([^/]+)(\/.*)?$/i;
// A bulk token also opens the client source: ccmsetup /regtoken downloads it before the client registers.
const BULK_TOKEN_PATHS = /^\/(ccm_system_tokenauth\/request|ccm_sts|ccm_client(\/.*)?)$/i;

function bearer(req: http.IncomingMessage): string | undefined {
  const header = req.headers.authorization;
  const m = header ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
  return m ? m[1] : undefined;
}

interface Refusal {
  description: string;
  exception?: string;
  lines: string[];
  summary: string;
}

function refuse(
  runtime: SiteRuntime,
  res: http.ServerResponse,
  request: Omit<MpRequest, 'caller'>,
  refusal: Refusal,
): void {
  runtime.logs.cmg.warn(
    `Refused ${printable(request.method)} ${printable(`${request.path}${request.query}`)} from ${request.remote}: 401 ${INVALID_TOKEN_REASON} (${refusal.summary}).`,
  );
  const head = `Return code: 401, Description: ${refusal.description}${refusal.exception ? `, ${refusal.exception}:` : ''}`;
  runtime.logs.sts.error([head, ...refusal.lines].join('\r\n'));
  send(res, {
    status: 401,
    reason: INVALID_TOKEN_REASON,
    headers: { 'content-type': 'text/plain' },
    body: `${INVALID_TOKEN_REASON}\n`,
  });
}

/** The description names the kind the token claims to be; a token too broken to say is a PreAuth one. */
function fromTokenFailure(token: string, failure: TokenFailure): Refusal {
  const claimed = failure.code === 'TOKEN_TOO_LARGE' ? undefined : decodeJwtPayload(token)?.Type;
  return {
    description: claimed === 'ClientToken' ? 'CCM token validation failed' : 'PreAuth token validation failed',
    exception: failure.exception,
    lines: failure.reason,
    summary: failure.code,
  };
}

/** Who the caller is, by its token (and proof, for a client token); or why it is refused. */
function authenticate(
  runtime: SiteRuntime,
  req: http.IncomingMessage,
  bulkAllowed: boolean,
): { caller: Extract<Caller, { via: 'cmg' }> } | { refusal: Refusal } {
  const token = bearer(req);
  if (!token)
    return {
      refusal: {
        description: 'No token',
        lines: ['The request carries no Authorization: Bearer token.'],
        summary: 'no token',
      },
    };
  const check = verifySiteToken(token, {
    verifier: runtime.tokenKeys().verifier,
    hierarchyId: runtime.site.config.hierarchyId,
    now: runtime.clock.now(),
    lookupBulkToken: (guid) => issuedBulkToken(runtime.site, guid),
    passed: runtime.passedSignatures,
  });
  if (!check.ok) return { refusal: fromTokenFailure(token, check) };
  if (check.kind === 'bulk') {
    const guid = check.claims.UniqueId as string;
    if (!bulkAllowed) {
      return {
        refusal: {
          description: 'PreAuth token not accepted here',
          lines: [
            `Bulk registration token ${guid} only opens ServiceMetadata, registration, the first CCM token and the client source.`,
          ],
          summary: 'bulk token on a client-token path',
        },
      };
    }
    return { caller: { via: 'cmg', token: { kind: 'bulk', guid } } };
  }
  const proof = checkProof(runtime, req);
  if (!proof.ok)
    return {
      refusal: { description: 'Client proof of possession failed', lines: [proof.reason], summary: 'key mismatch' },
    };
  const deviceId = check.claims.DeviceId as string;
  const cnf = (check.claims.cnf as { 'x5t#S256'?: unknown } | undefined)?.['x5t#S256'];
  const bound = certificateBinding(proof.client.signingCertificate);
  if (deviceId !== proof.client.smsid || cnf !== bound) {
    return {
      refusal: {
        description: 'Client proof of possession failed',
        lines: [
          `The CCM token of ${deviceId} is bound to certificate ${printable(cnf ?? '(none)')}; the caller proved the key of ${proof.client.smsid} (${bound}).`,
        ],
        summary: 'key mismatch',
      },
    };
  }
  return { caller: { via: 'cmg', token: { kind: 'client', smsid: deviceId } } };
}

/** The TLS client certificate, if the caller presented one (MutualAuth clients with PKI certificates do). */
function peerCertificate(req: http.IncomingMessage): string | undefined {
  const socket = req.socket as unknown as {
    getPeerCertificate?: () => { subject?: Record<string, string>; fingerprint?: string };
  };
  const cert = socket.getPeerCertificate?.();
  if (!cert?.fingerprint) return undefined;
  const subject = Object.entries(cert.subject ?? {})
    .map(([k, v]) => `${k}=${v}`)
    .join(', ');
  return `${subject || '(no subject)'}, thumbprint ${cert.fingerprint.replace(/:/g, '')}`;
}

export function handleCmg(
  runtime: SiteRuntime,
  req: http.IncomingMessage,
  res: http.ServerResponse,
  request: Omit<MpRequest, 'caller'>,
): void {
  const peer = peerCertificate(req);
  if (peer) runtime.logs.cmg.info(`Client certificate presented by ${request.remote}: ${printable(peer)}.`);
  const m = PROXY.exec(request.path);
  if (!m) {
    runtime.logs.cmg.warn(`No CMG resource at ${printable(request.path)} (from ${request.remote}).`);
    return send(res, {
      status: 404,
      headers: { 'content-type': 'text/plain' },
      body: `no CMG resource at ${printable(request.path)}\n`,
    });
  }
  const [, , target, rest] = m;
  if (target.toLowerCase() === 'servicemetadata' && !rest) {
    const auth = authenticate(runtime, req, true);
    if ('refusal' in auth) return refuse(runtime, res, request, auth.refusal);
    runtime.logs.cmg.info(`ServiceMetadata for ${request.remote} (${auth.caller.token.kind} token).`);
    const { config } = runtime.site;
    return send(res, {
      status: 200,
      headers: { 'content-type': 'text/xml; charset=utf-8' },
      body: buildServiceMetadata(config.cmgName, config.siteCode, [config.roleId]),
    });
  }
  if (target !== runtime.site.config.roleId || !rest) {
    runtime.logs.cmg.warn(
      `No MP with role ID ${printable(target)} behind this CMG (from ${request.remote}); it fronts ${runtime.site.config.roleId}.`,
    );
    return send(res, {
      status: 404,
      headers: { 'content-type': 'text/plain' },
      body: `no management point with role ID ${printable(target)} behind this CMG\n`,
    });
  }
  const auth = authenticate(runtime, req, BULK_TOKEN_PATHS.test(rest));
  if ('refusal' in auth) return refuse(runtime, res, request, auth.refusal);
  runtime.logs.cmg.info(
    `Forwarding ${printable(request.method)} ${printable(`${rest}${request.query}`)} from ${request.remote} to MP ${target} (${auth.caller.token.kind} token).`,
  );
  forwardToMp(runtime, req, res, { ...request, path: rest, caller: auth.caller });
}
