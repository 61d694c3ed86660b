import { decideRegistration, type RegistrationFacts } from '../../src/site/registration-decision';
import type { ClientRecord } from '../../src/site/clients';
import type { ParsedRegistrationRequest } from '../../src/protocol/registration';

const A = 'GUID:11111111-1111-4111-8111-111111111111';
const B = 'GUID:22222222-2222-4222-8222-222222222222';
const FRESH = 'GUID:33333333-3333-4333-8333-333333333333';
const now = new Date('2026-11-25T10:00:00Z');

const request = (over: Partial<ParsedRegistrationRequest> = {}): ParsedRegistrationRequest => ({
  hashAlgorithm: '1.2.840.113549.1.1.11', smsid: '', requestType: 'Registration', timeStamp: '2026-11-25T10:00:00Z', agentIdentity: 'CCMSetup.exe',
  agentVersion: '5.00.9128.1000', encryptionCertificateDer: Buffer.from('enc'), signingCertificateDer: Buffer.from('sig'), netbiosName: 'PC01', fqdn: 'pc01.lab.test',
  localeId: '1033', internetFlag: '1', signedBytes: Buffer.alloc(0), signatureHex: '00', ...over,
});

const record = (over: Partial<ClientRecord> = {}): ClientRecord => ({
  smsid: A, keyId: 'key-a', netbios: 'PC01', fqdn: 'pc01.lab.test', state: 'registered', approval: 'bulk-token', registeredBy: 'bulk-token', bulkTokenGuid: 'g1', account: null,
  internetFlag: true, signingThumbprint: 'T', encryptionThumbprint: 'T', signingCertificate: Buffer.from('sig'), firstSeen: now.toISOString(), registeredAt: now.toISOString(), lastSeen: now.toISOString(), ...over,
});

const facts = (over: Partial<RegistrationFacts>): RegistrationFacts => ({
  request: request(), proposed: '', keyId: 'key-a', byKey: undefined, owner: undefined, caller: { via: 'intranet' },
  settings: { pending: true, approval: 'auto' }, now, freshSmsid: FRESH, remote: '127.0.0.1:1', ...over,
});

const clientCaller = (smsid: string) => ({ via: 'cmg' as const, token: { kind: 'client' as const, smsid } });

describe('registration decision', () => {
  test('a bulk token admits a new device, pending first, with its GUID recorded', () => {
    const d = decideRegistration(facts({ caller: { via: 'cmg', token: { kind: 'bulk', guid: 'g9' } }, keyId: 'key-new' }));
    expect(d).toMatchObject({ status: '1', smsid: FRESH, approved: true, record: { registeredBy: 'bulk-token', bulkTokenGuid: 'g9', approval: 'bulk-token', state: 'pending' } });
  });

  test.each([
    ['a new key with no SMSID', { keyId: 'key-new' }],
    ['a new key proposing the token owner\'s SMSID', { keyId: 'key-new', proposed: A, owner: record() }],
    ['another client\'s key and SMSID', { keyId: 'key-b', proposed: B, byKey: record({ smsid: B, keyId: 'key-b' }), owner: record({ smsid: B, keyId: 'key-b' }) }],
    ['the owner\'s key proposing a new SMSID', { proposed: B, byKey: record() }],
  ])('a client token cannot register %s', (_name, over) => {
    const d = decideRegistration(facts({ caller: clientCaller(A), ...over }));
    expect(d.status).toBe('3');
    expect(d.record).toBeUndefined();
    expect(d.message).toMatch(/re-registers only that SMSID/);
  });

  test('a client token re-registers its own SMSID with its own key, recorded as such', () => {
    const d = decideRegistration(facts({ caller: clientCaller(A), proposed: A, byKey: record(), owner: record() }));
    expect(d).toMatchObject({ status: '0', smsid: A, record: { registeredBy: 'client-token', bulkTokenGuid: 'g1', approval: 'bulk-token' } });
  });

  test('an SMSID that belongs to another key is rejected; a confirmation that never registered cannot be processed', () => {
    expect(decideRegistration(facts({ keyId: 'key-x', proposed: A, owner: record() })).status).toBe('3');
    expect(decideRegistration(facts({ request: request({ requestType: 'Confirmation', smsid: A }), proposed: A, keyId: 'key-x' })).status).toBe('2');
  });

  test('intranet: manual approval holds a new client; an approved one registers on confirmation', () => {
    const held = decideRegistration(facts({ settings: { pending: true, approval: 'manual' }, keyId: 'key-n' }));
    expect(held).toMatchObject({ status: '1', approved: false, record: { approval: 'pending', registeredBy: 'intranet' } });
    const confirmed = decideRegistration(facts({ request: request({ requestType: 'Confirmation' }), proposed: A, byKey: record({ state: 'pending', approval: 'auto', registeredBy: 'intranet', bulkTokenGuid: null }) }));
    expect(confirmed).toMatchObject({ status: '0', record: { state: 'registered' } });
  });
});
