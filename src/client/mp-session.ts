import * as crypto from 'node:crypto';
import type { Clock } from '../core/clock';
import { statedError } from '../core/errors';
import { printable } from '../core/text';
import { newGuid } from '../core/guid';
import type { CmLog } from '../log/logger';
import { isCanonicalSmsid } from '../protocol/smsid';
import { cmgHostName } from '../protocol/cmg-address';
import {
  decodeMessage,
  encodeRequest,
  MULTIPART_CONTENT_TYPE,
  type MessageDecodeResult,
} from '../protocol/ccm-message';
import { clientTokenValue, isoSeconds, signClientToken } from '../protocol/ccm-signature';
import { certificateBinding, decodeJwtPayload, stsTime } from '../protocol/jwt';
import {
  AGENT_VERSION,
  buildRegistrationRequest,
  parseRegistrationResponse,
  type RegistrationResponse,
} from '../protocol/registration';
import { attribute, child, children, parseXml } from '../protocol/xml';
import type { ClientLogs } from './client-logs';
import type { ClientHttp } from './transport';

/**
 * The client's conversation with its MP, directly on the intranet or through the CMG:
 * ServiceMetadata, registration (looping on pending as the real client does), the unique
 * token from CCM_STS, and location.
 */

/** LocalSystem: the account the client's machine token and messages belong to. */
export const SYSTEM_SID = 'S-1-5-18';

export type Route = { kind: 'intranet'; mp: string } | { kind: 'cmg'; origin: string; roleId: string };

export interface Identity {
  smsid: string;
  netbios: string;
  fqdn: string;
  signingKey: crypto.KeyObject;
  signingCertDer: Buffer;
  encryptionCertDer: Buffer;
}

export interface SessionOptions {
  http: ClientHttp;
  logs: ClientLogs;
  clock: Clock;
  route: Route;
  identity: Identity;
  /** Pause between confirmation attempts while registration is pending. */
  retryMs?: number;
  maxAttempts?: number;
}

export class MpSession {
  private readonly o: SessionOptions;

  constructor(options: SessionOptions) {
    this.o = options;
  }

  /** The STS server as the client names it: the MP's host, or `cmg/CCM_PROXY_MutualAuth/<role ID>`. */
  private get stsServer(): string {
    const { route } = this.o;
    return route.kind === 'intranet'
      ? new URL(route.mp).host.toUpperCase()
      : `${new URL(route.origin).host.toLowerCase()}/CCM_PROXY_MutualAuth/${route.roleId}`;
  }

  /** The host a message goes to as CcmMessaging names it: the MP's, or `cmg/CCM_Proxy_MutualAuth/<role ID>`. */
  private get messagingHost(): string {
    const { route } = this.o;
    return route.kind === 'intranet'
      ? new URL(route.mp).host.toUpperCase()
      : cmgHostName(new URL(route.origin).host.toUpperCase(), route.roleId);
  }

  get smsid(): string {
    return this.o.identity.smsid;
  }

  /** The base URL of MP paths: the MP itself, or the CMG's server-auth proxy for its role ID. */
  get mpBase(): string {
    const { route } = this.o;
    return route.kind === 'intranet' ? route.mp : `${route.origin}/CCM_Proxy_ServerAuth/${route.roleId}`;
  }

  /** The last proof made: its value holds the time to the second, so requests within a second share it. */
  private proof: { ClientToken: string; ClientTokenSignature: string } | undefined;

  private proofHeaders(): Record<string, string> {
    const value = clientTokenValue(this.o.identity.smsid, this.o.clock.now());
    // RSA PKCS#1 v1.5 signatures are deterministic: signing the same value again gives the same bytes.
    if (this.proof?.ClientToken !== value)
      this.proof = { ClientToken: value, ClientTokenSignature: signClientToken(value, this.o.identity.signingKey) };
    return { ...this.proof };
  }

  private bearer(token: string | undefined): Record<string, string> {
    return token ? { authorization: `Bearer ${token}` } : {};
  }

  /** The CMG's ServiceMetadata; returns the site code of the MP this client's role ID names, if the CMG says. */
  async serviceMetadata(token: string, log: CmLog, withProof: boolean): Promise<string | undefined> {
    const { route } = this.o;
    if (route.kind !== 'cmg') return undefined;
    const url = `${route.origin}/CCM_Proxy_ServerAuth/ServiceMetadata`;
    log.info(`Checking the CMG: ${url}`);
    const reply = await this.o.http.request(
      url,
      { method: 'GET', headers: { ...this.bearer(token), ...(withProof ? this.proofHeaders() : {}) } },
      log,
    );
    const parsed = parseXml(reply.body.toString('utf8'), 'ServiceMetadata', 64 * 1024);
    if (!parsed.ok)
      throw statedError(
        'CCMCLIENT_E_BAD_REPLY',
        `the CMG's ServiceMetadata is not usable: ${printable(parsed.defect)}`,
      );
    const mps = children(child(child(parsed.doc, 'ServiceMetadata'), 'ManagementPoints'), 'ManagementPoint');
    return attribute(
      mps.find((mp) => attribute(mp, 'RoleID') === route.roleId),
      'SiteCode',
    );
  }

  /** A message to an MP endpoint, and the MP's reply decoded. */
  private async send(
    endpoint: string,
    body: string,
    token: string | undefined,
    proof: boolean,
  ): Promise<MessageDecodeResult> {
    const { logs, identity, route } = this.o;
    const path = route.kind === 'cmg' ? '/ccm_system_tokenauth/request' : '/ccm_system/request';
    const id = `{${newGuid().toUpperCase()}}`;
    const message = encodeRequest(
      {
        id,
        sourceHost: identity.netbios,
        targetEndpoint: endpoint,
        targetAddress: `mp:${endpoint}`,
        targetHost: new URL(this.mpBase).hostname,
        replyTo: `direct:${identity.netbios}:SccmMessaging`,
        sentTime: isoSeconds(this.o.clock.now()),
        correlationId: '{00000000-0000-0000-0000-000000000000}',
        timeout: 60000,
      },
      body,
    );
    logs.messaging.info(
      `Sending remote sync message '${id}' to host '${this.messagingHost}' endpoint '${endpoint}'. Flags 0x280, sender account ${SYSTEM_SID}`,
    );
    const reply = await this.o.http.request(
      `${this.mpBase}${path}`,
      {
        method: 'CCM_POST',
        headers: {
          'content-type': MULTIPART_CONTENT_TYPE,
          ...this.bearer(token),
          ...(proof ? this.proofHeaders() : {}),
        },
        body: message,
      },
      logs.messaging,
    );
    const decoded = decodeMessage(reply.body, reply.headers['content-type']);
    // The published line names the reply's endpoint 'dummy' for a synchronous message.
    if (decoded.ok)
      logs.messaging.info(
        `Message '${id}' got reply message '${printable(decoded.message.header.id, 64)}' to endpoint 'dummy'`,
      );
    return decoded;
  }

  private async registerOnce(
    type: 'Registration' | 'Confirmation',
    smsid: string,
    token: string | undefined,
    proof: boolean,
  ): Promise<RegistrationResponse> {
    const { identity, route } = this.o;
    const body = buildRegistrationRequest(
      {
        smsid,
        requestType: type,
        timeStamp: isoSeconds(this.o.clock.now()),
        agentIdentity: 'CCMSetup.exe',
        agentVersion: AGENT_VERSION,
        encryptionCertificateDer: identity.encryptionCertDer,
        signingCertificateDer: identity.signingCertDer,
        netbiosName: identity.netbios,
        fqdn: identity.fqdn,
        localeId: '1033',
        internetFlag: route.kind === 'cmg' ? '1' : '0',
      },
      identity.signingKey,
    );
    const decoded = await this.send('MP_ClientRegistration', body, token, proof);
    const parsed = decoded.ok ? parseRegistrationResponse(decoded.message.bodyText) : decoded;
    if (!parsed.ok) {
      this.o.logs.idManager.error(`[RegTask] - Could not read the registration reply: ${printable(parsed.defect)}`);
      throw statedError(
        'CCMCLIENT_E_BAD_REPLY',
        `the MP's registration reply is not usable: ${printable(parsed.defect)}`,
      );
    }
    const { response } = parsed;
    if ((response.status === '0' || response.status === '1') && !isCanonicalSmsid(response.smsid)) {
      this.o.logs.idManager.error(
        `[RegTask] - The registration reply assigns '${printable(response.smsid, 64)}', which is not a client ID.`,
      );
      throw statedError(
        'CCMCLIENT_E_BAD_REPLY',
        `the MP's registration reply assigns '${printable(response.smsid, 64)}', which is not a client ID (GUID:<GUID>)`,
      );
    }
    return response;
  }

  /**
   * Registers, confirming while the MP answers pending. Returns the SMSID the server
   * assigned and whether registration completed (false: still pending approval).
   */
  async register(token: string | undefined, proof: boolean): Promise<{ smsid: string; registered: boolean }> {
    const log = this.o.logs.idManager;
    const attempts = this.o.maxAttempts ?? 10;
    log.info('[RegTask] - Executing registration task synchronously.');
    log.info(`[RegTask] - Client is not registered. Sending registration request for ${this.o.identity.smsid} ...`);
    let response = await this.registerOnce('Registration', this.o.identity.smsid, token, proof);
    for (let attempt = 1; ; attempt++) {
      if (response.status === '0') {
        log.info(
          `[RegTask] - Client is registered. Server assigned ClientID is ${printable(response.smsid)}. Approval status ${printable(response.approval ?? '1')}`,
        );
        return { smsid: response.smsid, registered: true };
      }
      if (response.status !== '1') {
        const why = response.status === '3' ? 'rejected the registration' : 'could not process the registration';
        log.error(`[RegTask] - Registration failed: the MP ${why} (Status ${response.status}).`);
        throw statedError(
          'CCMCLIENT_E_REGISTRATION',
          `the MP ${why} (Status ${response.status}) for ${this.o.identity.smsid}`,
        );
      }
      log.info(
        `[RegTask] - Client registration is pending. Server assigned ClientID is ${printable(response.smsid)}. Approval status ${printable(response.approval ?? '0')}`,
      );
      if (attempt >= attempts) return { smsid: response.smsid, registered: false };
      await new Promise((resolve) => setTimeout(resolve, this.o.retryMs ?? 250));
      log.info(`[RegTask] - Sending confirmation request for ${printable(response.smsid)} ...`);
      response = await this.registerOnce('Confirmation', response.smsid, token, proof);
    }
  }

  /** The unique client token from CCM_STS; checked to be ours before it is kept. */
  async ccmToken(bearer: string | undefined, purpose: 'registration' | 'renewal'): Promise<string> {
    const url = `${this.mpBase}/CCM_STS`;
    // As published: after registration ClientIDManagerStartup.log names the STS server, then the
    // URL; a renewal is CcmMessaging.log's and names only the URL.
    const log = purpose === 'registration' ? this.o.logs.idManager : this.o.logs.messaging;
    if (purpose === 'registration') log.info(`Getting CCM Token from STS server '${this.stsServer}'`);
    log.info(`Getting CCM Token from ${url}`);
    const reply = await this.o.http.request(
      url,
      { method: 'POST', headers: { ...this.bearer(bearer), ...this.proofHeaders() } },
      log,
    );
    let token: unknown;
    try {
      token = (JSON.parse(reply.body.toString('utf8')) as { token?: unknown }).token;
    } catch {
      token = undefined;
    }
    const claims = typeof token === 'string' ? decodeJwtPayload(token) : undefined;
    const bound = certificateBinding(this.o.identity.signingCertDer);
    if (
      !claims ||
      claims.DeviceId !== this.o.identity.smsid ||
      (claims.cnf as Record<string, unknown> | undefined)?.['x5t#S256'] !== bound
    ) {
      log.error(
        `The CCM token from ${url} is not a token for ${this.o.identity.smsid} bound to this client's certificate.`,
      );
      throw statedError(
        'CCMCLIENT_E_BAD_REPLY',
        `CCM_STS did not return a token for ${this.o.identity.smsid} bound to this client's certificate`,
      );
    }
    log.info(`Received CCM Token for ${this.o.identity.smsid}, valid until ${stsTime(Number(claims.exp))}.`);
    // The published line: the token is the machine's (LocalSystem), expiry as MM/dd/yyyy HH:mm:ss.
    log.info(`Cached encrypted token for '${SYSTEM_SID}'. Will expire at '${stsTime(Number(claims.exp))}'`);
    return token as string;
  }

  private async location(query: string, token: string | undefined): Promise<string> {
    const url = `${this.mpBase}/SMS_MP/.sms_aut?${query}`;
    const { locationServices } = this.o.logs;
    const reply = await this.o.http.request(
      url,
      { method: 'GET', headers: { ...this.bearer(token), ...(token ? this.proofHeaders() : {}) }, kind: 'location' },
      locationServices,
    );
    const text = reply.body.toString('utf8');
    const parsed = parseXml(text, query, 256 * 1024);
    if (!parsed.ok)
      throw statedError('CCMCLIENT_E_BAD_REPLY', `the MP's ${query} reply is not usable: ${parsed.defect}`);
    locationServices.info(`Retrieved ${query} from ${this.mpBase}.`);
    return text;
  }

  mpList(token: string | undefined): Promise<string> {
    return this.location('MPLIST', token);
  }

  /** The site's signing certificate (SITESIGNCERT), the first thing the agent asks its MP for at start. */
  siteSigningCertificate(token: string | undefined): Promise<string> {
    return this.location('SITESIGNCERT', token);
  }

  /** The MP's public key (hex) and site code from MPKEYINFORMATION. */
  async mpKeyInformation(token: string | undefined): Promise<{ publicKey: string; siteCode: string }> {
    const text = await this.location('MPKEYINFORMATION', token);
    return {
      publicKey: /<PUBLICKEY>([0-9A-F]+)<\/PUBLICKEY>/i.exec(text)?.[1] ?? '',
      siteCode: /<SITECODE>([^<]+)<\/SITECODE>/i.exec(text)?.[1] ?? '',
    };
  }
}
