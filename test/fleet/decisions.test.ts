import type { ClientConfig } from '../../src/client/client-state';
import { fleetMismatch, type FleetRecord } from '../../src/fleet/fleet-dir';
import { FleetStatistics, percentile } from '../../src/fleet/statistics';
import { countClient, emptyCounts } from '../../src/fleet/status-fleet';
import { checkCmg, chooseMode } from '../../src/fleet/target';

const facts = { labGiven: false, labRoot: 'lab', siteRunning: false, token: false, cmg: false };

describe('which site a fleet enrolls into (pure)', () => {
  test("a lab's running site first; else --regtoken with --cmg; else an embedded lab of its own", () => {
    expect(chooseMode({ ...facts, siteRunning: true })).toBe('lab');
    expect(chooseMode({ ...facts, siteRunning: true, token: true, cmg: true })).toBe('lab');
    expect(chooseMode({ ...facts, token: true, cmg: true })).toBe('site');
    expect(chooseMode({ ...facts, labGiven: true, token: true, cmg: true })).toBe('site');
    expect(chooseMode(facts)).toBe('embedded');
  });

  test('half a target, or a named lab without a running site, is refused with what to give', () => {
    expect(() => chooseMode({ ...facts, token: true })).toThrow(/--regtoken needs --cmg/);
    expect(() => chooseMode({ ...facts, cmg: true })).toThrow(/--cmg needs --regtoken or --regtoken-file/);
    expect(() => chooseMode({ ...facts, labGiven: true, labRoot: '/tmp/lab2' })).toThrow(
      "the lab /tmp/lab2 (--lab or CCMLAB_LAB) has no running site; start it ('ccmlab site init --lab /tmp/lab2' first if it has none, then 'ccmlab site start --lab /tmp/lab2 --detach'), give --regtoken and --cmg, or leave out --lab and CCMLAB_LAB for a fleet with an embedded lab of its own",
    );
  });

  test('--cmg is NAME/CCM_Proxy_MutualAuth/<role ID>; the clients run the source article command line', () => {
    expect(checkCmg('CONTOSO.CLOUDAPP.NET/CCM_Proxy_MutualAuth/72186325152220500')).toBe(
      'CONTOSO.CLOUDAPP.NET/CCM_Proxy_MutualAuth/72186325152220500',
    );
    expect(() => checkCmg('https://cmg/CCM_Proxy_MutualAuth/1')).toThrow(
      /is not NAME\/CCM_Proxy_MutualAuth\/<role ID>/,
    );
    expect(() => checkCmg('cm g/CCM_Proxy_MutualAuth/1')).toThrow(/names a host that has U\+0020/);
  });
});

describe('which fleet a rerun may continue (pure)', () => {
  const fleet: FleetRecord = {
    schemaVersion: 1,
    namePattern: 'LAB-{n:05}',
    labRoot: '/labs/a',
    embedded: false,
    createdAt: '2026-11-25T10:00:00Z',
  };
  test('the same names, the same kind of target, the same lab', () => {
    expect(fleetMismatch(fleet, { namePattern: undefined, labRoot: '/labs/a', embedded: false })).toBeUndefined();
    expect(fleetMismatch(fleet, { namePattern: 'LAB-{n:05}', labRoot: '/labs/a', embedded: false })).toBeUndefined();
    expect(fleetMismatch(fleet, { namePattern: 'PC{n}', labRoot: '/labs/a', embedded: false })).toMatch(
      /names its clients 'LAB-\{n:05\}', not 'PC\{n\}'; leave out --name-pattern/,
    );
    expect(fleetMismatch(fleet, { namePattern: undefined, labRoot: '/labs/b', embedded: false })).toMatch(
      /belongs to the lab \/labs\/a, not \/labs\/b/,
    );
    expect(fleetMismatch(fleet, { namePattern: undefined, labRoot: '/labs/a', embedded: true })).toMatch(
      /against the site of the lab \/labs\/a, not an embedded lab/,
    );
    expect(
      fleetMismatch({ ...fleet, embedded: true }, { namePattern: undefined, labRoot: '/x', embedded: true }),
    ).toBeUndefined();
  });
});

describe('fleet statistics (pure)', () => {
  test('nearest-rank percentiles', () => {
    const sorted = Array.from({ length: 100 }, (_, i) => i + 1);
    expect([percentile(sorted, 50), percentile(sorted, 95), percentile(sorted, 99), percentile(sorted, 100)]).toEqual([
      50, 95, 99, 100,
    ]);
    expect(percentile([7], 99)).toBe(7);
    expect(percentile([], 50)).toBe(0);
  });

  test('per-phase latency of enrolled clients; failures grouped by code, most frequent first, with the first client', () => {
    const stats = new FleetStatistics();
    for (let i = 1; i <= 10; i++) stats.addEnrolled({ keys: i, registration: 10 * i }, 100 * i);
    stats.addFailed('CCMCLIENT_E_TIMEOUT', 'PC1', 'slow');
    stats.addFailed('CCMCLIENT_E_CANNOT_CONNECT', 'PC2', 'down');
    stats.addFailed('CCMCLIENT_E_CANNOT_CONNECT', 'PC3', 'down again');
    const summary = stats.summary();
    expect(summary).toMatchObject({ enrolled: 10, failed: 3 });
    expect(summary.failures).toEqual([
      { code: 'CCMCLIENT_E_CANNOT_CONNECT', count: 2, first: { name: 'PC2', message: 'down' } },
      { code: 'CCMCLIENT_E_TIMEOUT', count: 1, first: { name: 'PC1', message: 'slow' } },
    ]);
    expect(summary.latencyMs.keys).toEqual({ p50: 5, p95: 10, p99: 10 });
    expect(summary.latencyMs.registration?.p50).toBe(50);
    expect(summary.latencyMs.client?.p95).toBe(1000);
    expect(summary.latencyMs.metadata).toBeNull();
  });
});

describe('fleet status counts (pure)', () => {
  test('by registration state and, for clients with a token, where it stands at that time', () => {
    const now = new Date('2026-12-31T00:00:00Z');
    const config = (registration: ClientConfig['registration'], issued: string | null) =>
      ({
        registration,
        token:
          issued === null
            ? null
            : {
                issuedAt: issued,
                renewalDue: new Date(Date.parse(issued) + 30 * 86_400_000).toISOString(),
                expiresAt: new Date(Date.parse(issued) + 90 * 86_400_000).toISOString(),
                jti: 'j',
              },
      }) as ClientConfig;
    const counts = emptyCounts();
    countClient(counts, config('registered', '2026-12-20T00:00:00Z'), now);
    countClient(counts, config('registered', '2026-11-20T00:00:00Z'), now);
    countClient(counts, config('registered', '2026-09-01T00:00:00Z'), now);
    countClient(counts, config('pending', null), now);
    countClient(counts, undefined, now);
    countClient(counts, null, now);
    expect(counts).toEqual({
      clients: 6,
      registration: { registered: 3, pending: 1, unassigned: 0 },
      tokens: { valid: 1, 'renewal-due': 1, expired: 1 },
      notEnrolled: 1,
      damaged: 1,
    });
  });
});
