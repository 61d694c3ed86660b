import { printable } from '../core/text';
import { thumbprintOf } from '../pki/certificates';
import {
  parseRegistrationTimeStamp,
  type ParsedRegistrationRequest,
  type RegistrationStatus,
} from '../protocol/registration';
import type { Approval, ClientRecord, RegistrationMethod } from './clients';
import type { Caller } from './mp';
import { SIGNED_TIME_WINDOW_MS, signedTimeDefect } from './signed-time';

/**
 * What the MP answers a registration request whose signature verified, decided without
 * I/O: who may register which SMSID with which key, how the client is approved, and what
 * the site records. Through the CMG a new device is admitted by a bulk token only; a
 * client token may re-register its own SMSID with the key it is bound to, nothing else.
 *
 * A signed request is evidence only while it is fresh: its TimeStamp must be within the
 * signed-time window of the site's clock, and a request the site accepted before (the same
 * key, the same signed bytes) changes nothing when it comes again. Even a fresh one proves
 * only that the key signed it, not who delivered it: how a client registered (the method,
 * its bulk token, its Windows account, its approval and its internet flag) is changed only
 * through the channel it registered by (the same method, the same account, the same bulk
 * token) or by its own client token, whose proof of the key travels with the request.
 */

export interface RegistrationFacts {
  request: ParsedRegistrationRequest;
  /** The proposed SMSID in canonical form ('' when the client proposed none). */
  proposed: string;
  keyId: string;
  /** The client already registered with this signing key, if any. */
  byKey: ClientRecord | undefined;
  /** The client holding the proposed SMSID, if any. */
  owner: ClientRecord | undefined;
  caller: Caller;
  settings: { pending: boolean; approval: 'auto' | 'manual' };
  now: Date;
  /** A fresh SMSID, used when the client proposed none and its key is new. */
  freshSmsid: string;
  remote: string;
  /** The site accepted this very request's signature and TimeStamp before (the same key, the same signed bytes). */
  accepted: boolean;
}

export interface RegistrationDecision {
  status: RegistrationStatus;
  smsid: string;
  approved: boolean;
  /** What the site records; undefined when nothing changes. */
  record?: ClientRecord;
  level: 'info' | 'warn' | 'error';
  message: string;
  /** When the request's TimeStamp leaves the window: until then the site remembers it. Undefined when it is outside already. */
  rememberUntil?: Date;
}

/** When the request's TimeStamp leaves the window; or why it is not within it. */
function freshness(f: RegistrationFacts): { until: Date } | { why: string } {
  const signed = parseRegistrationTimeStamp(f.request.timeStamp);
  if (!signed) return { why: `its TimeStamp '${printable(f.request.timeStamp, 40)}' is not a UTC date and time` };
  const defect = signedTimeDefect('its TimeStamp', signed, f.now);
  return defect ? { why: defect } : { until: new Date(signed.getTime() + SIGNED_TIME_WINDOW_MS) };
}

/** Why this caller may not register this key under this SMSID, if it may not. */
function refusal(f: RegistrationFacts): { status: RegistrationStatus; why: string } | undefined {
  const { caller, byKey, owner, proposed, keyId } = f;
  if (caller.via === 'cmg' && caller.token.kind === 'client') {
    if (!byKey || byKey.smsid !== caller.token.smsid || (proposed !== '' && proposed !== caller.token.smsid)) {
      return {
        status: '3',
        why: `a client token of ${caller.token.smsid} re-registers only that SMSID with the key it is bound to, not a new identity or another key`,
      };
    }
  }
  if ((owner && owner.keyId !== keyId) || (byKey && proposed !== '' && byKey.smsid !== proposed)) {
    return { status: '3', why: `SMSID ${proposed} belongs to another key` };
  }
  if (f.request.requestType === 'Confirmation' && !byKey)
    return { status: '2', why: `it confirms ${proposed || '(no SMSID)'}, which never registered` };
  if (byKey?.state === 'rejected') return { status: '3', why: `client ${byKey.smsid} is blocked from registering` };
  return undefined;
}

/**
 * Whether this request may set how the client is registered: always for a new key; for a
 * known one, through the channel it registered by, or with its own client token (refusal()
 * has checked that the token is the one bound to this key).
 */
function setsChannel(f: RegistrationFacts): boolean {
  const { byKey, caller } = f;
  if (!byKey || (caller.via === 'cmg' && caller.token.kind === 'client')) return true;
  switch (byKey.registeredBy) {
    case 'intranet':
      return caller.via === 'intranet';
    case 'windows-auth':
      return caller.via === 'windows' && caller.account.toUpperCase() === (byKey.account ?? '').toUpperCase();
    case 'bulk-token':
      return caller.via === 'cmg' && caller.token.kind === 'bulk' && caller.token.guid === byKey.bulkTokenGuid;
    case 'client-token':
      return false;
  }
}

function approvalOf(f: RegistrationFacts, setsChannel: boolean): Approval {
  const { caller, byKey } = f;
  if (setsChannel && caller.via === 'cmg' && caller.token.kind === 'bulk') return 'bulk-token';
  if (setsChannel && caller.via === 'windows') return 'trusted-domain';
  if (byKey && byKey.approval !== 'pending') return byKey.approval;
  return f.settings.approval === 'auto' ? 'auto' : 'pending';
}

function describeCaller(caller: Caller): string {
  if (caller.via === 'intranet') return 'on the intranet';
  if (caller.via === 'windows')
    return `on the intranet, Windows-authenticated as machine account ${printable(caller.account)}`;
  return caller.token.kind === 'bulk'
    ? `through the CMG with bulk registration token ${caller.token.guid}`
    : `through the CMG with the client token of ${caller.token.smsid}`;
}

function describeRegistration(client: ClientRecord): string {
  const how = {
    intranet: 'on the intranet',
    'windows-auth': `with Windows authentication as ${printable(client.account ?? '')}`,
    'bulk-token': `with bulk registration token ${client.bulkTokenGuid ?? ''}`,
    'client-token': 'with its client token',
  };
  return how[client.registeredBy];
}

/** The answer to a request the site accepted before: what the site holds now; nothing changes. */
function answerAgain(f: RegistrationFacts, who: string, until: Date): RegistrationDecision {
  const { byKey } = f;
  const again =
    'the same request, signed by the same key, was accepted before (a resend or a replay), so it changes nothing';
  if (!byKey)
    return {
      status: '2',
      smsid: f.proposed,
      approved: false,
      level: 'error',
      message: `${who} could not be processed: ${again}, and no client holds its key now.`,
      rememberUntil: until,
    };
  const registered = byKey.state === 'registered';
  const outcome = registered
    ? 'is registered'
    : `is pending${byKey.approval === 'pending' ? ' approval' : ' confirmation'}`;
  return {
    status: registered ? '0' : '1',
    smsid: byKey.smsid,
    approved: byKey.approval !== 'pending',
    level: 'warn',
    message: `${who}: ${again}; client ${byKey.smsid} ${outcome} (approval ${byKey.approval}).`,
    rememberUntil: until,
  };
}

function methodOf(caller: Caller): RegistrationMethod {
  if (caller.via === 'intranet') return 'intranet';
  if (caller.via === 'windows') return 'windows-auth';
  return caller.token.kind === 'bulk' ? 'bulk-token' : 'client-token';
}

/** What the site records for a request it accepts. */
function recordOf(
  f: RegistrationFacts,
  smsid: string,
  approval: Approval,
  registers: boolean,
  channel: boolean,
): ClientRecord {
  const { request, byKey, caller } = f;
  const at = f.now.toISOString();
  const bulkGuid = caller.via === 'cmg' && caller.token.kind === 'bulk' ? caller.token.guid : null;
  const alreadyRegistered = byKey?.state === 'registered';
  const kept = byKey && !channel ? byKey : undefined;
  return {
    smsid,
    keyId: f.keyId,
    netbios: request.netbiosName,
    fqdn: request.fqdn,
    state: registers ? 'registered' : 'pending',
    approval,
    registeredBy: kept?.registeredBy ?? methodOf(caller),
    bulkTokenGuid: kept ? kept.bulkTokenGuid : (bulkGuid ?? byKey?.bulkTokenGuid ?? null),
    account: kept ? kept.account : caller.via === 'windows' ? caller.account : (byKey?.account ?? null),
    internetFlag: kept ? kept.internetFlag : request.internetFlag === '1',
    signingThumbprint: thumbprintOf(request.signingCertificateDer),
    encryptionThumbprint: thumbprintOf(request.encryptionCertificateDer),
    signingCertificate: request.signingCertificateDer,
    firstSeen: byKey?.firstSeen ?? at,
    registeredAt: registers ? (alreadyRegistered ? (byKey?.registeredAt ?? at) : at) : null,
    lastSeen: at,
  };
}

export function decideRegistration(f: RegistrationFacts): RegistrationDecision {
  const { request, byKey } = f;
  const who = `${request.requestType} from ${printable(request.netbiosName)} (${f.remote}) ${describeCaller(f.caller)}`;
  const fresh = freshness(f);
  const refused = 'why' in fresh ? { status: '2' as const, why: fresh.why } : refusal(f);
  const rememberUntil = 'until' in fresh ? fresh.until : undefined;
  if (refused) {
    return {
      status: refused.status,
      smsid: byKey?.smsid ?? f.proposed,
      approved: false,
      level: 'error',
      message: `${who} ${refused.status === '3' ? 'rejected' : 'could not be processed'}: ${refused.why}.`,
      rememberUntil,
    };
  }
  if (f.accepted) return answerAgain(f, who, rememberUntil as Date);
  const smsid = f.proposed || byKey?.smsid || f.freshSmsid;
  const channel = setsChannel(f);
  const approval = approvalOf(f, channel);
  const approved = approval !== 'pending';
  // Real MPs answer a first registration "pending"; the client confirms and is registered.
  const registers =
    approved && (byKey?.state === 'registered' || request.requestType === 'Confirmation' || !f.settings.pending);
  const record = recordOf(f, smsid, approval, registers, channel);
  const outcome = registers ? 'is registered' : `is pending${approved ? ' confirmation' : ' approval'}`;
  const message = `${who}: client ${smsid} ${outcome} (approval ${approval}).`;
  if (channel) return { status: registers ? '0' : '1', smsid, approved, record, level: 'info', message, rememberUntil };
  const kept = ` It registered ${describeRegistration(byKey as ClientRecord)}, which a request through another channel does not change.`;
  return {
    status: registers ? '0' : '1',
    smsid,
    approved,
    record,
    level: 'warn',
    message: `${message}${kept}`,
    rememberUntil,
  };
}
