import { printable } from '../core/text';
import { thumbprintOf } from '../pki/certificates';
import type { ParsedRegistrationRequest, RegistrationStatus } from '../protocol/registration';
import type { Approval, ClientRecord, RegistrationMethod } from './clients';
import type { Caller } from './mp';

/**
 * What the MP answers a registration request whose signature verified, decided without
 * I/O: who may register which SMSID with which key, how the client is approved, and what
 * the site records. Through the CMG a new device is admitted by a bulk token only; a
 * client token may re-register its own SMSID with the key it is bound to, nothing else.
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
}

export interface RegistrationDecision {
  status: RegistrationStatus;
  smsid: string;
  approved: boolean;
  /** What the site records; undefined when nothing changes. */
  record?: ClientRecord;
  level: 'info' | 'error';
  message: string;
}

function methodOf(caller: Caller): RegistrationMethod {
  if (caller.via === 'intranet') return 'intranet';
  if (caller.via === 'windows') return 'windows-auth';
  return caller.token.kind === 'bulk' ? 'bulk-token' : 'client-token';
}

/** Why this caller may not register this key under this SMSID, if it may not. */
function refusal(f: RegistrationFacts): { status: RegistrationStatus; why: string } | undefined {
  const { caller, byKey, owner, proposed, keyId } = f;
  if (caller.via === 'cmg' && caller.token.kind === 'client') {
    if (!byKey || byKey.smsid !== caller.token.smsid || (proposed !== '' && proposed !== caller.token.smsid)) {
      return { status: '3', why: `a client token of ${caller.token.smsid} re-registers only that SMSID with the key it is bound to, not a new identity or another key` };
    }
  }
  if ((owner && owner.keyId !== keyId) || (byKey && proposed !== '' && byKey.smsid !== proposed)) {
    return { status: '3', why: `SMSID ${proposed} belongs to another key` };
  }
  if (f.request.requestType === 'Confirmation' && !byKey) return { status: '2', why: `it confirms ${proposed || '(no SMSID)'}, which never registered` };
  if (byKey?.state === 'rejected') return { status: '3', why: `client ${byKey.smsid} is blocked from registering` };
  return undefined;
}

function approvalOf(f: RegistrationFacts): Approval {
  const { caller, byKey } = f;
  if (caller.via === 'cmg' && caller.token.kind === 'bulk') return 'bulk-token';
  if (caller.via === 'windows') return 'trusted-domain';
  if (byKey && byKey.approval !== 'pending') return byKey.approval;
  return f.settings.approval === 'auto' ? 'auto' : 'pending';
}

function describeCaller(caller: Caller): string {
  if (caller.via === 'intranet') return 'on the intranet';
  if (caller.via === 'windows') return `on the intranet, Windows-authenticated as machine account ${printable(caller.account)}`;
  return caller.token.kind === 'bulk' ? `through the CMG with bulk registration token ${caller.token.guid}` : `through the CMG with the client token of ${caller.token.smsid}`;
}

export function decideRegistration(f: RegistrationFacts): RegistrationDecision {
  const { request, byKey, now } = f;
  const who = `${request.requestType} from ${printable(request.netbiosName)} (${f.remote}) ${describeCaller(f.caller)}`;
  const refused = refusal(f);
  if (refused) {
    return { status: refused.status, smsid: byKey?.smsid ?? f.proposed, approved: false, level: 'error', message: `${who} ${refused.status === '3' ? 'rejected' : 'could not be processed'}: ${refused.why}.` };
  }
  const smsid = f.proposed || byKey?.smsid || f.freshSmsid;
  const approval = approvalOf(f);
  const approved = approval !== 'pending';
  const alreadyRegistered = byKey?.state === 'registered';
  // Real MPs answer a first registration "pending"; the client confirms and is registered.
  const registers = approved && (alreadyRegistered || request.requestType === 'Confirmation' || !f.settings.pending);
  const method = methodOf(f.caller);
  const bulkGuid = f.caller.via === 'cmg' && f.caller.token.kind === 'bulk' ? f.caller.token.guid : null;
  const at = now.toISOString();
  const record: ClientRecord = {
    smsid,
    keyId: f.keyId,
    netbios: request.netbiosName,
    fqdn: request.fqdn,
    state: registers ? 'registered' : 'pending',
    approval,
    registeredBy: method,
    bulkTokenGuid: bulkGuid ?? byKey?.bulkTokenGuid ?? null,
    account: f.caller.via === 'windows' ? f.caller.account : (byKey?.account ?? null),
    internetFlag: request.internetFlag === '1',
    signingThumbprint: thumbprintOf(request.signingCertificateDer),
    encryptionThumbprint: thumbprintOf(request.encryptionCertificateDer),
    signingCertificate: request.signingCertificateDer,
    firstSeen: byKey?.firstSeen ?? at,
    registeredAt: registers ? (alreadyRegistered ? (byKey?.registeredAt ?? at) : at) : null,
    lastSeen: at,
  };
  const outcome = registers ? 'is registered' : `is pending${approved ? ' confirmation' : ' approval'}`;
  return { status: registers ? '0' : '1', smsid, approved, record, level: 'info', message: `${who}: client ${smsid} ${outcome} (approval ${approval}).` };
}
