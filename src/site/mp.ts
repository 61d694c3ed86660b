import * as crypto from 'node:crypto';
import type * as http from 'node:http';
import { newGuid } from '../core/guid';
import { decodeMessage, encodeReply, MULTIPART_CONTENT_TYPE, type DecodedMessage } from '../protocol/ccm-message';
import { isoSeconds, verifyBytes } from '../protocol/ccm-signature';
import {
  buildCertificateReply,
  buildMpKeyInformation,
  buildMpList,
  buildReplyAssignments,
} from '../protocol/mp-replies';
import {
  AGENT_VERSION,
  buildRegistrationResponse,
  parseRegistrationRequest,
  registrationFieldDefect,
  type ParsedRegistrationRequest,
  type RegistrationStatus,
} from '../protocol/registration';
import { decodeJwtPayload, messageTime, stsTime } from '../protocol/jwt';
import { newSmsid, parseSmsid } from '../protocol/smsid';
import { printable } from '../core/text';
import { findClientByKey, findClientBySmsid, saveClient, touchClient } from './clients';
import type { ParsedCertificate } from './client-certificates';
import { acceptedDigest, rememberAccepted, wasAccepted } from './accepted-registrations';
import { decideRegistration } from './registration-decision';
import { checkProof, INVALID_TOKEN_REASON, send, sendText, type Reply, type SiteRuntime } from './site-runtime';
import { issueClientToken } from './token-service';
import { windowsAccount } from './windows-auth';
import { CRL_PATH } from './site-dir';
import { serveClientContent } from './client-content';
import { isClientContentPath } from '../protocol/client-content-path';

/**
 * The management point: registration and policy over CCM_POST, location over GET, the
 * token service (CCM_STS), the windowsauth probe, and the client source (CCM_Client). Requests that came through the CMG
 * carry what the CMG established about the caller; nothing a client sends is trusted
 * for that.
 */

export type Caller =
  | { via: 'intranet' }
  /** A Windows-authenticated machine account on ccm_system_windowsauth (DOMAIN\\NAME$). */
  | { via: 'windows'; account: string }
  | { via: 'cmg'; token: { kind: 'bulk'; guid: string } | { kind: 'client'; smsid: string } };

export interface MpRequest {
  method: string;
  /** The MP path, prefix stripped when it came through the CMG. */
  path: string;
  query: string;
  body: Buffer;
  contentType: string | undefined;
  caller: Caller;
  remote: string;
}

/** This MP in an MPLIST, as both the location GET and MP_LocationManager answer it. */
function mpListXml(runtime: SiteRuntime): string {
  return buildMpList([
    { name: runtime.mpNetbios, fqdn: runtime.site.config.mpName, version: AGENT_VERSION.split('.')[2], sslState: '0' },
  ]);
}

function framedReply(runtime: SiteRuntime, message: DecodedMessage, bodyText: string): Reply {
  const replyTo = message.header.replyTo ?? `direct:${message.header.sourceHost}:SccmMessaging`;
  return {
    status: 200,
    headers: { 'content-type': MULTIPART_CONTENT_TYPE },
    body: encodeReply(
      { id: `{${newGuid().toUpperCase()}}`, sourceHost: runtime.mpNetbios, targetEndpoint: replyTo },
      bodyText,
    ),
  };
}

export function handleMp(
  runtime: SiteRuntime,
  req: http.IncomingMessage,
  res: http.ServerResponse,
  request: MpRequest,
): void {
  const path = request.path.toLowerCase();
  if (isClientContentPath(path)) return serveClientContent(runtime, req, res, request);
  if (path === '/ccm_system_windowsauth' || path.startsWith('/ccm_system_windowsauth/'))
    return windowsAuthenticated(runtime, req, res, request);
  if (path === '/sms_mp/.sms_aut' && request.method === 'GET') return location(runtime, res, request);
  if (path === CRL_PATH.toLowerCase() && request.method === 'GET') return revocationList(runtime, res, request);
  if (path === '/ccm_sts' && (request.method === 'POST' || request.method === 'GET'))
    return tokenService(runtime, req, res, request);
  if (path === '/ccm_system/request' || path === '/ccm_system_tokenauth/request') {
    if (request.method !== 'CCM_POST')
      return sendText(res, 405, `${printable(request.path)} takes CCM_POST, not ${printable(request.method)}`);
    if (path === '/ccm_system_tokenauth/request' && request.caller.via !== 'cmg') {
      runtime.logs.registration.warn(
        `Refused ${printable(request.path)} from ${request.remote}: token-authenticated requests come through the CMG.`,
      );
      return sendText(res, 401, '/ccm_system_tokenauth needs a token validated by the CMG');
    }
    return message(runtime, res, request);
  }
  sendText(res, 404, `no MP resource at ${printable(request.path)}`);
}

/** ccm_system_windowsauth: NTLM first, then the request as the authenticated machine account. */
function windowsAuthenticated(
  runtime: SiteRuntime,
  req: http.IncomingMessage,
  res: http.ServerResponse,
  request: MpRequest,
): void {
  if (request.caller.via !== 'intranet')
    return sendText(res, 404, 'Windows authentication is not offered through the CMG');
  const account = windowsAccount(runtime, req, res, request.remote);
  if (account === undefined) return;
  const path = request.path.toLowerCase();
  if (path !== '/ccm_system_windowsauth/request') return sendText(res, 200, `authenticated as ${printable(account)}`);
  if (request.method !== 'CCM_POST')
    return sendText(res, 405, `${printable(request.path)} takes CCM_POST, not ${printable(request.method)}`);
  message(runtime, res, { ...request, caller: { via: 'windows', account } });
}

/** The root's CRL, published at the MP when the site was made with a CRL distribution point. */
function revocationList(runtime: SiteRuntime, res: http.ServerResponse, request: MpRequest): void {
  if (!runtime.site.config.crlDistributionPoint) return sendText(res, 404, 'this site publishes no CRL');
  runtime.logs.location.info(`CRL requested by ${request.remote}.`);
  send(res, {
    status: 200,
    headers: { 'content-type': 'application/pkix-crl', 'cache-control': 'no-cache' },
    body: runtime.crl.current(runtime.clock.now()),
  });
}

function location(runtime: SiteRuntime, res: http.ServerResponse, request: MpRequest): void {
  const { config } = runtime.site;
  const query = request.query.replace(/^\?/, '').toUpperCase();
  const mp = { name: runtime.mpNetbios, fqdn: config.mpName };
  let xml: string;
  switch (query) {
    case 'MPLIST':
      xml = mpListXml(runtime);
      break;
    case 'MPKEYINFORMATION':
      xml = runtime.credentials.derived('MPKEYINFORMATION', () =>
        buildMpKeyInformation(
          config.siteCode,
          mp,
          crypto
            .createPublicKey(runtime.credentials.certificatePem('role-ssl'))
            .export({ type: 'spki', format: 'der' }),
        ),
      );
      break;
    case 'SITESIGNCERT':
      xml = buildCertificateReply('SITESIGNCERT', config.siteCode, runtime.credentials.certificate('sms-issuing').der);
      break;
    case 'MPCERT':
      xml = buildCertificateReply('MPCERT', config.siteCode, runtime.credentials.certificate('role-ssl').der);
      break;
    default:
      runtime.logs.location.warn(`Unknown location request '?${printable(query)}' from ${request.remote}.`);
      return sendText(
        res,
        400,
        `unknown location request '?${printable(query)}'; use MPLIST, MPKEYINFORMATION, SITESIGNCERT or MPCERT`,
      );
  }
  runtime.logs.location.info(`Location request ${query} from ${request.remote} (${request.caller.via}) answered.`);
  send(res, { status: 200, headers: { 'content-type': 'text/xml; charset=utf-8' }, body: xml });
}

function message(runtime: SiteRuntime, res: http.ServerResponse, request: MpRequest): void {
  const decoded = decodeMessage(request.body, request.contentType, {
    maxInflated: runtime.limits.maxInflated,
    maxHeader: 64 * 1024,
  });
  if (!decoded.ok) {
    runtime.logs.registration.error(
      `Malformed message from ${request.remote}: ${decoded.code}: ${printable(decoded.defect)}.`,
    );
    return sendText(res, decoded.code === 'BODY_TOO_LARGE' ? 413 : 400, `malformed message: ${decoded.defect}`);
  }
  const endpoint = decoded.message.header.targetEndpoint;
  const { caller } = request;
  // A bulk token registers a client (which may ask for policy while pending); nothing more.
  if (
    caller.via === 'cmg' &&
    caller.token.kind === 'bulk' &&
    endpoint !== 'MP_ClientRegistration' &&
    endpoint !== 'MP_PolicyManager'
  ) {
    runtime.logs.cmg.warn(
      `Refused ${printable(endpoint)} from ${request.remote}: 401 ${INVALID_TOKEN_REASON} (bulk token on a client-token endpoint).`,
    );
    runtime.logs.sts.error(
      `Return code: 401, Description: PreAuth token not accepted here\r\nBulk registration token ${caller.token.guid} only opens registration and policy, not ${printable(endpoint)}.`,
    );
    return sendText(res, 401, INVALID_TOKEN_REASON, INVALID_TOKEN_REASON);
  }
  if (endpoint === 'MP_ClientRegistration') return send(res, registration(runtime, request, decoded.message));
  if (endpoint === 'MP_PolicyManager') {
    const clientId = /<ClientID>\s*(GUID:[0-9A-Fa-f-]{36})\s*<\/ClientID>/.exec(decoded.message.bodyText)?.[1] ?? '';
    runtime.logs.policy.info(
      `Policy assignment request from ${clientId || 'an unnamed client'} (${request.remote}): no assignments.`,
    );
    return send(
      res,
      framedReply(runtime, decoded.message, buildReplyAssignments(clientId, runtime.site.config.siteCode)),
    );
  }
  if (endpoint === 'MP_LocationManager') {
    runtime.logs.location.info(`Location request (${endpoint}) from ${request.remote}.`);
    return send(res, framedReply(runtime, decoded.message, mpListXml(runtime)));
  }
  runtime.logs.registration.warn(`Message for unknown endpoint '${printable(endpoint)}' from ${request.remote}.`);
  sendText(res, 404, `no endpoint '${printable(endpoint)}' on this MP`);
}

function registrationReply(
  runtime: SiteRuntime,
  message: DecodedMessage,
  request: ParsedRegistrationRequest,
  status: RegistrationStatus,
  smsid: string,
  approved: boolean,
): Reply {
  const body = buildRegistrationResponse({
    responseType: request.requestType,
    timeStamp: isoSeconds(runtime.clock.now()),
    status,
    smsid,
    approval: approved ? '1' : '0',
  });
  return framedReply(runtime, message, body);
}

function certificateProblem(runtime: SiteRuntime, cert: ParsedCertificate): string | undefined {
  const now = runtime.clock.now().getTime();
  if (now < cert.validFrom || now > cert.validTo) {
    const at = (ms: number) => messageTime(new Date(ms).toISOString());
    return `the signing certificate is valid from ${at(cert.validFrom)} to ${at(cert.validTo)}, not at ${at(now)}`;
  }
  if (cert.keyType !== 'rsa' || (cert.modulusLength ?? 0) < 2048) {
    return `the signing key is ${cert.keyType ?? 'unknown'} ${cert.modulusLength ?? '?'} bits; RSA of 2048 bits or more is required`;
  }
  return undefined;
}

/** The request, its certificate and a verified signature; or the reply that refuses it. */
function verifiedRegistration(
  runtime: SiteRuntime,
  request: MpRequest,
  message: DecodedMessage,
): { reg: ParsedRegistrationRequest; cert: ParsedCertificate } | Reply {
  const log = runtime.logs.registration;
  const parsed = parseRegistrationRequest(message.bodyText);
  if (!parsed.ok) {
    log.error(`Malformed registration request from ${request.remote}: ${printable(parsed.defect)}.`);
    return {
      status: 400,
      headers: { 'content-type': 'text/plain' },
      body: `malformed registration request: ${parsed.defect}\n`,
    };
  }
  const reg = parsed.request;
  const bounds = registrationFieldDefect(reg);
  if (bounds) {
    log.error(`Registration request from ${request.remote} could not be processed: ${printable(bounds)}.`);
    return registrationReply(runtime, message, reg, '2', '', false);
  }
  // The published line names the client by its SMSID, or by its FQDN before it has one.
  log.info(`Processing Registration request from Client '${reg.smsid || reg.fqdn}'`);
  let cert: ParsedCertificate;
  try {
    cert = runtime.certificates.parse(reg.signingCertificateDer);
    // Parsed only to refuse garbage: the encryption certificate is recorded, not used.
    runtime.certificates.parse(reg.encryptionCertificateDer);
  } catch (error) {
    log.error(
      `Registration request from ${request.remote} carries a certificate that is not X.509 DER: ${printable((error as Error).message)}.`,
    );
    return {
      status: 400,
      headers: { 'content-type': 'text/plain' },
      body: 'a certificate in the request is not X.509 DER\n',
    };
  }
  const problem =
    certificateProblem(runtime, cert) ??
    (verifyBytes(reg.signedBytes, reg.signatureHex, cert.publicKey)
      ? undefined
      : 'the signature over <Data> does not verify with the signing certificate it carries');
  if (problem) {
    log.error(`Registration request from ${reg.netbiosName} (${request.remote}) refused: ${problem}.`);
    return { status: 403, headers: { 'content-type': 'text/plain' }, body: `registration refused: ${problem}\n` };
  }
  return { reg, cert };
}

function registration(runtime: SiteRuntime, request: MpRequest, message: DecodedMessage): Reply {
  const verified = verifiedRegistration(runtime, request, message);
  if ('status' in verified) return verified;
  const { reg, cert } = verified;
  const { keyId } = cert;
  const proposed = reg.smsid === '' ? '' : (parseSmsid(reg.smsid) as string);
  const settings = runtime.settings();
  const digest = acceptedDigest(keyId, reg.signedBytes);
  // What the site knows of the key, the SMSID and this request, and what it records, in one write transaction.
  const decide = runtime.db.transaction(() => {
    const now = runtime.clock.now();
    const decided = decideRegistration({
      request: reg,
      proposed,
      keyId,
      byKey: findClientByKey(runtime.db, keyId),
      owner: proposed === '' ? undefined : findClientBySmsid(runtime.db, proposed),
      caller: request.caller,
      settings: { pending: settings['registration.pending'], approval: settings['registration.approval'] },
      now,
      freshSmsid: newSmsid(),
      remote: request.remote,
      accepted: wasAccepted(runtime.db, digest),
    });
    if (decided.record) saveClient(runtime.db, decided.record);
    if (decided.rememberUntil) rememberAccepted(runtime.db, digest, decided.rememberUntil, now);
    return decided;
  });
  const decision = decide.immediate();
  runtime.logs.registration[decision.level](decision.message);
  return registrationReply(runtime, message, reg, decision.status, decision.smsid, decision.approved);
}

function stsRecord(runtime: SiteRuntime, description: string, lines: string[]): void {
  runtime.logs.sts.error(`Return code: 401, Description: ${description}\r\n${lines.join('\r\n')}`);
}

function tokenService(
  runtime: SiteRuntime,
  req: http.IncomingMessage,
  res: http.ServerResponse,
  request: MpRequest,
): void {
  if (request.caller.via === 'intranet' && !runtime.settings()['tokens.intranet']) {
    runtime.logs.sts.warn(
      `CCM token request from ${request.remote} refused: the intranet MP does not issue tokens (tokens.intranet is false).`,
    );
    return sendText(res, 403, 'this site does not issue client tokens on the intranet (tokens.intranet is false)');
  }
  const proof = checkProof(runtime, req);
  if (!proof.ok) {
    stsRecord(runtime, 'Client proof of possession failed,', [proof.reason]);
    // Through the CMG the refusal is the CMG's, with its reason phrase.
    if (request.caller.via === 'cmg')
      runtime.logs.cmg.warn(
        `Refused ${printable(request.method)} ${printable(request.path)} from ${request.remote}: 401 ${INVALID_TOKEN_REASON} (key mismatch).`,
      );
    return sendText(
      res,
      401,
      `proof of possession failed: ${proof.reason}`,
      request.caller.via === 'cmg' ? INVALID_TOKEN_REASON : undefined,
    );
  }
  const { client } = proof;
  const now = runtime.clock.now();
  const jti = newGuid();
  const token = issueClientToken(runtime.tokenKeys().signer, {
    hierarchyId: runtime.site.config.hierarchyId,
    smsid: client.smsid,
    signingCertificateDer: client.signingCertificate,
    issuedAt: now,
    jti,
  });
  const claims = decodeJwtPayload(token) as { iat: number; exp: number };
  touchClient(runtime.db, client.smsid, now);
  const how =
    request.caller.via === 'cmg'
      ? `through the CMG (${request.caller.token.kind === 'bulk' ? `bulk registration token ${request.caller.token.guid}` : 'renewal with its CCM token'})`
      : 'on the intranet';
  const sts = runtime.logs.sts;
  sts.info('ProcessRequest - Start');
  sts.info(`Incoming request URL: https://${runtime.site.config.mpName.toUpperCase()}/CCM_STS`);
  sts.info(`Issued CCM token ${jti} to ${client.smsid} ${how}, valid until ${stsTime(claims.exp)}.`);
  sts.info('Issued token');
  sts.info('Return token to client');
  send(res, {
    status: 200,
    headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' },
    body: JSON.stringify({
      token,
      deviceId: client.smsid,
      issuedAt: new Date(claims.iat * 1000).toISOString(),
      expiresAt: new Date(claims.exp * 1000).toISOString(),
    }),
  });
}
