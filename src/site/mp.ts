import * as crypto from 'node:crypto';
import type * as http from 'node:http';
import { newGuid } from '../core/guid';
import { decodeMessage, encodeReply, MULTIPART_CONTENT_TYPE, type DecodedMessage } from '../protocol/ccm-message';
import { isoSeconds, verifyBytes } from '../protocol/ccm-signature';
import { buildCertificateReply, buildMpKeyInformation, buildMpList, buildReplyAssignments } from '../protocol/mp-replies';
import { AGENT_VERSION, buildRegistrationResponse, parseRegistrationRequest, type ParsedRegistrationRequest, type RegistrationStatus } from '../protocol/registration';
import { findClientByKey, findClientBySmsid, keyIdOf, newSmsid, saveClient, touchClient, type Approval, type ClientRecord } from './clients';
import { checkProof, INVALID_TOKEN_REASON, send, sendText, type Reply, type SiteRuntime } from './site-runtime';
import { issueClientToken } from './token-service';

/**
 * The management point: registration and policy over CCM_POST, location over GET, the
 * token service (CCM_STS), and the windowsauth probe. Requests that came through the CMG
 * carry what the CMG established about the caller; nothing a client sends is trusted
 * for that.
 */

export type Caller =
  | { via: 'intranet' }
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
  return buildMpList([{ name: runtime.mpNetbios, fqdn: runtime.site.config.mpName, version: AGENT_VERSION.split('.')[2], sslState: '0' }]);
}

function framedReply(runtime: SiteRuntime, message: DecodedMessage, bodyText: string): Reply {
  const replyTo = message.header.replyTo ?? `direct:${message.header.sourceHost}:SccmMessaging`;
  return {
    status: 200,
    headers: { 'content-type': MULTIPART_CONTENT_TYPE },
    body: encodeReply({ id: `{${newGuid().toUpperCase()}}`, sourceHost: runtime.mpNetbios, targetEndpoint: replyTo }, bodyText),
  };
}

export function handleMp(runtime: SiteRuntime, req: http.IncomingMessage, res: http.ServerResponse, request: MpRequest): void {
  const path = request.path.toLowerCase();
  if (path.startsWith('/ccm_system_windowsauth')) {
    send(res, { status: 401, headers: { 'www-authenticate': ['Negotiate', 'NTLM'], 'content-type': 'text/plain' }, body: 'Unauthorized\n' });
    return;
  }
  if (path === '/sms_mp/.sms_aut' && request.method === 'GET') return location(runtime, res, request);
  if (path === '/ccm_sts' && (request.method === 'POST' || request.method === 'GET')) return tokenService(runtime, req, res, request);
  if (path === '/ccm_system/request' || path === '/ccm_system_tokenauth/request') {
    if (request.method !== 'CCM_POST') return sendText(res, 405, `${request.path} takes CCM_POST, not ${request.method}`);
    if (path === '/ccm_system_tokenauth/request' && request.caller.via !== 'cmg') {
      runtime.logs.registration.warn(`Refused ${request.path} from ${request.remote}: token-authenticated requests come through the CMG.`);
      return sendText(res, 401, '/ccm_system_tokenauth needs a token validated by the CMG');
    }
    return message(runtime, res, request);
  }
  sendText(res, 404, `no MP resource at ${request.path}`);
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
      xml = buildMpKeyInformation(config.siteCode, mp, crypto.createPublicKey(runtime.site.certificatePem('role-ssl')).export({ type: 'spki', format: 'der' }));
      break;
    case 'SITESIGNCERT':
      xml = buildCertificateReply('SITESIGNCERT', config.siteCode, runtime.site.certificate('sms-issuing').der);
      break;
    case 'MPCERT':
      xml = buildCertificateReply('MPCERT', config.siteCode, runtime.site.certificate('role-ssl').der);
      break;
    default:
      runtime.logs.location.warn(`Unknown location request '?${query}' from ${request.remote}.`);
      return sendText(res, 400, `unknown location request '?${query}'; use MPLIST, MPKEYINFORMATION, SITESIGNCERT or MPCERT`);
  }
  runtime.logs.location.info(`Location request ${query} from ${request.remote} (${request.caller.via}) answered.`);
  send(res, { status: 200, headers: { 'content-type': 'text/xml; charset=utf-8' }, body: xml });
}

function message(runtime: SiteRuntime, res: http.ServerResponse, request: MpRequest): void {
  const decoded = decodeMessage(request.body, request.contentType, { maxInflated: runtime.limits.maxInflated, maxHeader: 64 * 1024 });
  if (!decoded.ok) {
    runtime.logs.registration.error(`Malformed message from ${request.remote}: ${decoded.code}: ${decoded.defect}.`);
    return sendText(res, decoded.code === 'BODY_TOO_LARGE' ? 413 : 400, `malformed message: ${decoded.defect}`);
  }
  const endpoint = decoded.message.header.targetEndpoint;
  const { caller } = request;
  // A bulk token registers a client (which may ask for policy while pending); nothing more.
  if (caller.via === 'cmg' && caller.token.kind === 'bulk' && endpoint !== 'MP_ClientRegistration' && endpoint !== 'MP_PolicyManager') {
    runtime.logs.cmg.warn(`Refused ${endpoint} from ${request.remote}: 401 ${INVALID_TOKEN_REASON} (bulk token on a client-token endpoint).`);
    runtime.logs.sts.error(`Return code: 401, Description: PreAuth token not accepted here\r\nBulk registration token ${caller.token.guid} only opens registration and policy, not ${endpoint}.`);
    return sendText(res, 401, INVALID_TOKEN_REASON, INVALID_TOKEN_REASON);
  }
  if (endpoint === 'MP_ClientRegistration') return send(res, registration(runtime, request, decoded.message));
  if (endpoint === 'MP_PolicyManager') {
    const clientId = /<ClientID>\s*(GUID:[0-9A-Fa-f-]{36})\s*<\/ClientID>/.exec(decoded.message.bodyText)?.[1] ?? '';
    runtime.logs.policy.info(`Policy assignment request from ${clientId || 'an unnamed client'} (${request.remote}): no assignments.`);
    return send(res, framedReply(runtime, decoded.message, buildReplyAssignments(clientId, runtime.site.config.siteCode)));
  }
  if (endpoint === 'MP_LocationManager') {
    runtime.logs.location.info(`Location request (${endpoint}) from ${request.remote}.`);
    return send(res, framedReply(runtime, decoded.message, mpListXml(runtime)));
  }
  runtime.logs.registration.warn(`Message for unknown endpoint '${endpoint}' from ${request.remote}.`);
  sendText(res, 404, `no endpoint '${endpoint}' on this MP`);
}

function registrationReply(runtime: SiteRuntime, message: DecodedMessage, request: ParsedRegistrationRequest, status: RegistrationStatus, smsid: string, approved: boolean): Reply {
  const body = buildRegistrationResponse({
    responseType: request.requestType,
    timeStamp: isoSeconds(runtime.clock.now()),
    status,
    smsid,
    approval: approved ? '1' : '0',
  });
  return framedReply(runtime, message, body);
}

function certificateProblem(runtime: SiteRuntime, cert: crypto.X509Certificate): string | undefined {
  const now = runtime.clock.now().getTime();
  if (now < Date.parse(cert.validFrom) || now > Date.parse(cert.validTo)) {
    return `the signing certificate is valid from ${new Date(cert.validFrom).toISOString()} to ${new Date(cert.validTo).toISOString()}, not at ${new Date(now).toISOString()}`;
  }
  const details = cert.publicKey.asymmetricKeyDetails;
  if (cert.publicKey.asymmetricKeyType !== 'rsa' || (details?.modulusLength ?? 0) < 2048) {
    return `the signing key is ${cert.publicKey.asymmetricKeyType ?? 'unknown'} ${details?.modulusLength ?? '?'} bits; RSA of 2048 bits or more is required`;
  }
  return undefined;
}

function registration(runtime: SiteRuntime, request: MpRequest, message: DecodedMessage): Reply {
  const log = runtime.logs.registration;
  const parsed = parseRegistrationRequest(message.bodyText);
  if (!parsed.ok) {
    log.error(`Malformed registration request from ${request.remote}: ${parsed.defect}.`);
    return { status: 400, headers: { 'content-type': 'text/plain' }, body: `malformed registration request: ${parsed.defect}\n` };
  }
  const reg = parsed.request;
  let cert: crypto.X509Certificate;
  try {
    cert = new crypto.X509Certificate(reg.signingCertificateDer);
    // Parsed only to refuse garbage: the encryption certificate is recorded, not used.
    new crypto.X509Certificate(reg.encryptionCertificateDer);
  } catch (error) {
    log.error(`Registration request from ${request.remote} carries a certificate that is not X.509 DER: ${(error as Error).message}.`);
    return { status: 400, headers: { 'content-type': 'text/plain' }, body: 'a certificate in the request is not X.509 DER\n' };
  }
  const problem = certificateProblem(runtime, cert);
  if (problem) {
    log.error(`Registration request from ${reg.netbiosName} (${request.remote}) refused: ${problem}.`);
    return { status: 403, headers: { 'content-type': 'text/plain' }, body: `registration refused: ${problem}\n` };
  }
  if (!verifyBytes(reg.signedBytes, reg.signatureHex, cert.publicKey)) {
    log.error(`Registration request from ${reg.netbiosName} (${request.remote}) refused: the signature over <Data> does not verify with the signing certificate it carries.`);
    return { status: 403, headers: { 'content-type': 'text/plain' }, body: 'registration refused: bad signature\n' };
  }
  const now = runtime.clock.now();
  const keyId = keyIdOf(cert.publicKey);
  const byKey = findClientByKey(runtime.db, keyId);
  let smsid = byKey?.smsid ?? '';
  if (reg.smsid !== '') {
    const proposed = reg.smsid.toUpperCase().replace(/^GUID:/, 'GUID:');
    const owner = findClientBySmsid(runtime.db, proposed);
    if ((owner && owner.keyId !== keyId) || (byKey && byKey.smsid !== proposed) || !/^GUID:[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}$/.test(proposed)) {
      log.error(`Registration request from ${reg.netbiosName} (${request.remote}) rejected: SMSID ${reg.smsid} belongs to another key or is malformed.`);
      return registrationReply(runtime, message, reg, '3', reg.smsid, false);
    }
    smsid = proposed;
  }
  if (reg.requestType === 'Confirmation' && !byKey) {
    log.error(`Confirmation from ${reg.netbiosName} (${request.remote}) for ${reg.smsid || '(no SMSID)'}, which never registered: could not process.`);
    return registrationReply(runtime, message, reg, '2', reg.smsid, false);
  }
  if (byKey?.state === 'rejected') {
    log.error(`Registration request from ${reg.netbiosName} for ${byKey.smsid} rejected: the client is blocked from registering.`);
    return registrationReply(runtime, message, reg, '3', byKey.smsid, false);
  }
  if (smsid === '') smsid = newSmsid();
  const settings = runtime.settings();
  const viaBulk = request.caller.via === 'cmg' && request.caller.token.kind === 'bulk' ? request.caller.token.guid : undefined;
  let approval: Approval;
  if (viaBulk) approval = 'bulk-token';
  else if (byKey && byKey.approval !== 'pending') approval = byKey.approval;
  else approval = settings['registration.approval'] === 'auto' ? 'auto' : 'pending';
  const approved = approval !== 'pending';
  const alreadyRegistered = byKey?.state === 'registered';
  // Real MPs answer a first registration "pending"; the client confirms and is registered.
  const registers = approved && (alreadyRegistered || reg.requestType === 'Confirmation' || !settings['registration.pending']);
  const client: ClientRecord = {
    smsid,
    keyId,
    netbios: reg.netbiosName,
    fqdn: reg.fqdn,
    state: registers ? 'registered' : 'pending',
    approval,
    registeredBy: viaBulk ? 'bulk-token' : (byKey?.registeredBy ?? 'intranet'),
    bulkTokenGuid: viaBulk ?? byKey?.bulkTokenGuid ?? null,
    internetFlag: reg.internetFlag === '1',
    signingThumbprint: crypto.createHash('sha1').update(reg.signingCertificateDer).digest('hex').toUpperCase(),
    encryptionThumbprint: crypto.createHash('sha1').update(reg.encryptionCertificateDer).digest('hex').toUpperCase(),
    signingCertificate: reg.signingCertificateDer,
    firstSeen: byKey?.firstSeen ?? now.toISOString(),
    registeredAt: registers ? (alreadyRegistered ? (byKey?.registeredAt ?? now.toISOString()) : now.toISOString()) : null,
    lastSeen: now.toISOString(),
  };
  saveClient(runtime.db, client);
  const how = viaBulk ? `through the CMG with bulk registration token ${viaBulk}` : `on the intranet (approval ${approval})`;
  if (registers) {
    log.info(`${reg.requestType} from ${reg.netbiosName} (${request.remote}) ${how}: client ${smsid} is registered.`);
    return registrationReply(runtime, message, reg, '0', smsid, true);
  }
  log.info(`${reg.requestType} from ${reg.netbiosName} (${request.remote}) ${how}: client ${smsid} is pending${approved ? ' confirmation' : ' approval'}.`);
  return registrationReply(runtime, message, reg, '1', smsid, approved);
}

function stsRecord(runtime: SiteRuntime, description: string, lines: string[]): void {
  runtime.logs.sts.error(`Return code: 401, Description: ${description}\r\n${lines.join('\r\n')}`);
}

function tokenService(runtime: SiteRuntime, req: http.IncomingMessage, res: http.ServerResponse, request: MpRequest): void {
  if (request.caller.via === 'intranet' && !runtime.settings()['tokens.intranet']) {
    runtime.logs.sts.warn(`CCM token request from ${request.remote} refused: the intranet MP does not issue tokens (tokens.intranet is false).`);
    return sendText(res, 403, 'this site does not issue client tokens on the intranet (tokens.intranet is false)');
  }
  const proof = checkProof(runtime, req);
  if (!proof.ok) {
    stsRecord(runtime, 'Client proof of possession failed,', [proof.reason]);
    // Through the CMG the refusal is the CMG's, with its reason phrase.
    if (request.caller.via === 'cmg') runtime.logs.cmg.warn(`Refused ${request.method} ${request.path} from ${request.remote}: 401 ${INVALID_TOKEN_REASON} (key mismatch).`);
    return sendText(res, 401, `proof of possession failed: ${proof.reason}`, request.caller.via === 'cmg' ? INVALID_TOKEN_REASON : undefined);
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
  const claims = JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString('utf8')) as { iat: number; exp: number };
  touchClient(runtime.db, client.smsid, now);
  const how = request.caller.via === 'cmg' ? `through the CMG (${request.caller.token.kind === 'bulk' ? `bulk registration token ${request.caller.token.guid}` : 'renewal with its CCM token'})` : 'on the intranet';
  runtime.logs.sts.info(`Issued CCM token ${jti} to ${client.smsid} ${how}, valid until ${new Date(claims.exp * 1000).toISOString()}.`);
  send(res, {
    status: 200,
    headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' },
    body: JSON.stringify({ token, deviceId: client.smsid, issuedAt: new Date(claims.iat * 1000).toISOString(), expiresAt: new Date(claims.exp * 1000).toISOString() }),
  });
}
