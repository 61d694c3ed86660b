import { decideRegistration, type RegistrationFacts } from '../../src/site/registration-decision';
import type { ClientRecord } from '../../src/site/clients';
import type { ParsedRegistrationRequest } from '../../src/protocol/registration';

const A = 'GUID:11111111-1111-4111-8111-111111111111';
const B = 'GUID:22222222-2222-4222-8222-222222222222';
const FRESH = 'GUID:33333333-3333-4333-8333-333333333333';
const now = new Date('2026-11-25T10:00:00Z');

const request = (over: Partial<ParsedRegistrationRequest> = {}): ParsedRegistrationRequest => ({
  hashAlgorithm: '1.2.840.113549.1.1.11',
  smsid: '',
  requestType: 'Registration',
  timeStamp: '2026-11-25T10:00:00Z',
  agentIdentity: 'CCMSetup.exe',
  agentVersion: '5.00.9128.1000',
  encryptionCertificateDer: Buffer.from('enc'),
  signingCertificateDer: Buffer.from('sig'),
  netbiosName: 'PC01',
  fqdn: 'pc01.lab.test',
  localeId: '1033',
  internetFlag: '1',
  signedBytes: Buffer.alloc(0),
  signatureHex: '00',
  ...over,
});

const record = (over: Partial<ClientRecord> = {}): ClientRecord => ({
  smsid: A,
  keyId: 'key-a',
  netbios: 'PC01',
  fqdn: 'pc01.lab.test',
  state: 'registered',
  approval: 'bulk-token',
  registeredBy: 'bulk-token',
  bulkTokenGuid: 'g1',
  account: null,
  internetFlag: true,
  signingThumbprint: 'T',
  encryptionThumbprint: 'T',
  signingCertificate: Buffer.from('sig'),
  firstSeen: now.toISOString(),
  registeredAt: now.toISOString(),
  lastSeen: now.toISOString(),
  ...over,
});

const facts = (over: Partial<RegistrationFacts>): RegistrationFacts => ({
  request: request(),
  proposed: '',
  keyId: 'key-a',
  byKey: undefined,
  owner: undefined,
  caller: { via: 'intranet' },
  settings: { pending: true, approval: 'auto' },
  now,
  freshSmsid: FRESH,
  remote: '127.0.0.1:1',
  accepted: false,
  ...over,
});

const clientCaller = (smsid: string) => ({ via: 'cmg' as const, token: { kind: 'client' as const, smsid } });

describe('registration decision', () => {
  test('a bulk token admits a new device, pending first, with its GUID recorded', () => {
    const d = decideRegistration(
      facts({ caller: { via: 'cmg', token: { kind: 'bulk', guid: 'g9' } }, keyId: 'key-new' }),
    );
    expect(d).toMatchObject({
      status: '1',
      smsid: FRESH,
      approved: true,
      record: { registeredBy: 'bulk-token', bulkTokenGuid: 'g9', approval: 'bulk-token', state: 'pending' },
    });
  });

  test.each([
    ['a new key with no SMSID', { keyId: 'key-new' }],
    ["a new key proposing the token owner's SMSID", { keyId: 'key-new', proposed: A, owner: record() }],
    [
      "another client's key and SMSID",
      {
        keyId: 'key-b',
        proposed: B,
        byKey: record({ smsid: B, keyId: 'key-b' }),
        owner: record({ smsid: B, keyId: 'key-b' }),
      },
    ],
    ["the owner's key proposing a new SMSID", { proposed: B, byKey: record() }],
  ])('a client token cannot register %s', (_name, over) => {
    const d = decideRegistration(facts({ caller: clientCaller(A), ...over }));
    expect(d.status).toBe('3');
    expect(d.record).toBeUndefined();
    expect(d.message).toMatch(/re-registers only that SMSID/);
  });

  test('a client token re-registers its own SMSID with its own key, recorded as such', () => {
    const d = decideRegistration(facts({ caller: clientCaller(A), proposed: A, byKey: record(), owner: record() }));
    expect(d).toMatchObject({
      status: '0',
      smsid: A,
      record: { registeredBy: 'client-token', bulkTokenGuid: 'g1', approval: 'bulk-token' },
    });
  });

  test('an SMSID that belongs to another key is rejected; a confirmation that never registered cannot be processed', () => {
    expect(decideRegistration(facts({ keyId: 'key-x', proposed: A, owner: record() })).status).toBe('3');
    expect(
      decideRegistration(
        facts({ request: request({ requestType: 'Confirmation', smsid: A }), proposed: A, keyId: 'key-x' }),
      ).status,
    ).toBe('2');
  });

  test('intranet: manual approval holds a new client; an approved one registers on confirmation', () => {
    const held = decideRegistration(facts({ settings: { pending: true, approval: 'manual' }, keyId: 'key-n' }));
    expect(held).toMatchObject({
      status: '1',
      approved: false,
      record: { approval: 'pending', registeredBy: 'intranet' },
    });
    const confirmed = decideRegistration(
      facts({
        request: request({ requestType: 'Confirmation' }),
        proposed: A,
        byKey: record({ state: 'pending', approval: 'auto', registeredBy: 'intranet', bulkTokenGuid: null }),
      }),
    );
    expect(confirmed).toMatchObject({ status: '0', record: { state: 'registered' } });
  });
});

const at = (minutes: number) => new Date(now.getTime() + minutes * 60_000).toISOString().replace('.000Z', 'Z');
const windows = (account: string) => ({ via: 'windows' as const, account });
const bulk = (guid: string) => ({ via: 'cmg' as const, token: { kind: 'bulk' as const, guid } });
/** A CMG client registered with bulk token g1: what a replay would want to rewrite. */
const cmgClient = record();
/** The decision, once it is checked to record nothing. */
function unchanged(d: ReturnType<typeof decideRegistration>) {
  expect(d.record).toBeUndefined();
  return d;
}
const channelFields = (r: ClientRecord | undefined) =>
  r && {
    registeredBy: r.registeredBy,
    bulkTokenGuid: r.bulkTokenGuid,
    account: r.account,
    approval: r.approval,
    internetFlag: r.internetFlag,
  };

describe('replay: the TimeStamp is judged on the site clock', () => {
  test.each([
    [
      'two years old',
      at(-2 * 365 * 1440),
      /its TimeStamp 11\/25\/2024 10:00:00 is 730 days before the site's clock \(11\/25\/2026 10:00:00\); 15 minutes either way are allowed/,
    ],
    ['16 minutes old', at(-16), /is 16 minutes before the site's clock/],
    ['16 minutes ahead', at(16), /is 16 minutes after the site's clock/],
  ])('a registration signed %s cannot be processed and changes nothing, whoever sends it', (_name, timeStamp, why) => {
    for (const caller of [{ via: 'intranet' as const }, windows('LAB\\EVIL$'), bulk('g1'), clientCaller(A)]) {
      const d = decideRegistration(
        facts({
          request: request({ timeStamp, internetFlag: '0' }),
          proposed: A,
          byKey: cmgClient,
          owner: cmgClient,
          caller,
        }),
      );
      expect(d).toMatchObject({ status: '2', smsid: A, approved: false, level: 'error' });
      expect(d.record).toBeUndefined();
      expect(d.rememberUntil).toBeUndefined();
      expect(d.message).toMatch(why);
    }
  });

  test.each([
    ['a month that has no 31st', '2026-11-31T10:00:00Z'],
    ['hour 24', '2026-11-25T24:00:00Z'],
    ['a leap second', '2026-11-25T09:59:60Z'],
    ['a zone offset', '2026-11-25T10:00:00+01:00'],
    ['a year before 1000', '0026-11-25T10:00:00Z'],
    ['no time at all', ''],
  ])('a TimeStamp with %s cannot be processed', (_name, timeStamp) => {
    const d = decideRegistration(facts({ request: request({ timeStamp }), keyId: 'key-new' }));
    expect(d).toMatchObject({ status: '2', level: 'error' });
    expect(d.record).toBeUndefined();
    expect(d.message).toMatch(/its TimeStamp '.*' is not a UTC date and time/);
  });

  test.each([
    ['15 minutes old', at(-15), -15],
    ['15 minutes ahead', at(15), 15],
    ['with ticks and no Z', '2026-11-25T09:50:00.1234567', -10],
  ])('a registration signed %s is within the window, remembered until it leaves it', (_name, timeStamp, minutes) => {
    const d = decideRegistration(facts({ request: request({ timeStamp }), keyId: 'key-new' }));
    expect(d.status).toBe('1');
    expect(d.rememberUntil?.getTime()).toBe(
      now.getTime() + (minutes + 15) * 60_000 + (timeStamp.includes('.') ? 123 : 0),
    );
  });
});

describe('replay: a request accepted before changes nothing', () => {
  test.each([
    ['anonymously on the intranet', { via: 'intranet' as const }],
    ['with Windows authentication as another account', windows('LAB\\EVIL$')],
    ['with another bulk token', bulk('g2')],
    ['with the bulk token it came with', bulk('g1')],
  ])('the same signed request again, %s: the answer the site holds, nothing recorded', (_name, caller) => {
    const d = decideRegistration(
      facts({
        request: request({ internetFlag: '0' }),
        proposed: A,
        byKey: cmgClient,
        owner: cmgClient,
        caller,
        accepted: true,
      }),
    );
    expect(d).toMatchObject({ status: '0', smsid: A, approved: true, level: 'warn' });
    expect(d.record).toBeUndefined();
    expect(d.message).toMatch(
      /accepted before \(a resend or a replay\), so it changes nothing; client GUID:1111.* is registered/,
    );
  });

  test('a resent confirmation of a client still pending approval stays pending, even once approved', () => {
    const pending = record({ state: 'pending', approval: 'pending', registeredBy: 'intranet', bulkTokenGuid: null });
    const confirm = request({ requestType: 'Confirmation', smsid: A });
    expect(
      unchanged(
        decideRegistration(facts({ request: confirm, proposed: A, byKey: pending, owner: pending, accepted: true })),
      ),
    ).toMatchObject({ status: '1', approved: false });
    const approved = { ...pending, approval: 'manual' as const };
    expect(
      unchanged(
        decideRegistration(facts({ request: confirm, proposed: A, byKey: approved, owner: approved, accepted: true })),
      ),
    ).toMatchObject({ status: '1', approved: true });
  });

  test('a request accepted before whose client is gone cannot be processed; a blocked one is rejected', () => {
    expect(unchanged(decideRegistration(facts({ keyId: 'key-gone', accepted: true })))).toMatchObject({
      status: '2',
      level: 'error',
    });
    const blocked = record({ state: 'rejected' });
    expect(
      unchanged(decideRegistration(facts({ proposed: A, byKey: blocked, owner: blocked, accepted: true }))),
    ).toMatchObject({ status: '3' });
  });
});

describe('a re-registration sets how the client registered only through its own channel or with its own client token', () => {
  const windowsClient = record({
    registeredBy: 'windows-auth',
    approval: 'trusted-domain',
    bulkTokenGuid: null,
    account: 'LAB\\PC01$',
    internetFlag: false,
  });
  const intranetPending = record({
    state: 'pending',
    approval: 'pending',
    registeredBy: 'intranet',
    bulkTokenGuid: null,
    internetFlag: false,
  });

  test.each([
    ['a CMG client, anonymously on the intranet', cmgClient, { via: 'intranet' as const }],
    ['a CMG client, with Windows authentication', cmgClient, windows('LAB\\EVIL$')],
    ['a CMG client, with another bulk token', cmgClient, bulk('g2')],
    ['a Windows-authenticated client, as another account', windowsClient, windows('LAB\\EVIL$')],
    ['a Windows-authenticated client, anonymously', windowsClient, { via: 'intranet' as const }],
    ['an intranet client pending approval, with Windows authentication', intranetPending, windows('LAB\\EVIL$')],
    ['an intranet client pending approval, with a bulk token', intranetPending, bulk('g2')],
    ['a client-token client, anonymously', record({ registeredBy: 'client-token' }), { via: 'intranet' as const }],
  ])('%s: the method, bulk token, account, approval and internet flag are kept', (_name, client, caller) => {
    const flip = client.internetFlag ? '0' : '1';
    const d = decideRegistration(
      facts({
        request: request({ smsid: A, internetFlag: flip }),
        proposed: A,
        byKey: client,
        owner: client,
        caller,
        settings: { pending: true, approval: 'manual' },
      }),
    );
    expect(channelFields(d.record)).toEqual(channelFields(client));
    expect(d).toMatchObject({ level: 'warn', approved: client.approval !== 'pending' });
    expect(d.message).toMatch(/It registered .*, which a request through another channel does not change\./);
  });

  test.each([
    [
      'an intranet client, on the intranet',
      intranetPending,
      { via: 'intranet' as const },
      { registeredBy: 'intranet', internetFlag: true },
    ],
    [
      'a Windows-authenticated client, as its own account (any case)',
      windowsClient,
      windows('lab\\pc01$'),
      { account: 'lab\\pc01$', internetFlag: true },
    ],
    [
      'a CMG client, with the bulk token it came with',
      cmgClient,
      bulk('g1'),
      { registeredBy: 'bulk-token', internetFlag: false },
    ],
    [
      'a CMG client, with its own client token',
      cmgClient,
      clientCaller(A),
      { registeredBy: 'client-token', bulkTokenGuid: 'g1', internetFlag: false },
    ],
  ])('%s: the channel is its own and sets them', (_name, client, caller, changed) => {
    const flip = client.internetFlag ? '0' : '1';
    const d = decideRegistration(
      facts({ request: request({ smsid: A, internetFlag: flip }), proposed: A, byKey: client, owner: client, caller }),
    );
    expect(d.level).toBe('info');
    expect(d.record).toMatchObject(changed);
  });

  test('a confirmation through another channel still registers an approved client, its channel kept', () => {
    const approved = { ...intranetPending, approval: 'auto' as const };
    const d = decideRegistration(
      facts({
        request: request({ requestType: 'Confirmation', smsid: A }),
        proposed: A,
        byKey: approved,
        owner: approved,
        caller: windows('LAB\\EVIL$'),
      }),
    );
    expect(d).toMatchObject({
      status: '0',
      record: { state: 'registered', registeredBy: 'intranet', account: null, approval: 'auto', internetFlag: false },
    });
  });
});
