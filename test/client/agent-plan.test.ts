import { planStart } from '../../src/client/agent';
import type { ClientConfig, ClientState } from '../../src/client/client-state';

const DAY = 86_400_000;
const ISSUED = Date.parse('2026-01-01T00:00:00Z');
const MP = 'http://mp01.lab.test';
const CMG = { url: 'https://CONTOSO.CLOUDAPP.NET/CCM_Proxy_MutualAuth/72186325152220500', roleId: '72186325152220500' };
const token = `e30.${Buffer.from(JSON.stringify({ iat: ISSUED / 1000, exp: (ISSUED + 90 * DAY) / 1000, jti: 'j' })).toString('base64url')}.c2ln`;

/** Only what planStart reads: registration, location, the MPs and the token. */
function client(config: Partial<ClientConfig>, withToken = true): ClientState {
  return {
    config: { registration: 'registered', location: 'internet', assignedMp: null, cmg: CMG, ...config },
    token: withToken ? token : null,
  } as unknown as ClientState;
}
const at = (days: number) => new Date(ISSUED + days * DAY);
const cmgRoute = { kind: 'cmg', origin: 'https://CONTOSO.CLOUDAPP.NET', roleId: CMG.roleId };

describe('what CcmExec does at start', () => {
  test('not assigned: refused before anything', () => {
    expect(planStart(client({ registration: 'unassigned' }), at(1))).toEqual({ step: 'not-assigned' });
  });

  test('no token on the internet: a bulk token is needed; on the intranet it registers there', () => {
    expect(planStart(client({}, false), at(1))).toEqual({ step: 'needs-bulk-token' });
    expect(planStart(client({ registration: 'pending', location: 'intranet', assignedMp: MP }, false), at(1))).toEqual({
      step: 'register',
      route: { kind: 'intranet', mp: MP },
    });
  });

  test('before day 30 it waits, from day 30 it renews, through its current route (the location refresh goes there too)', () => {
    expect(planStart(client({}), at(29))).toMatchObject({ step: 'wait', route: cmgRoute });
    expect(planStart(client({}), at(30))).toMatchObject({ step: 'renew', route: cmgRoute, expired: false });
    expect(planStart(client({}), at(90))).toMatchObject({ step: 'renew', expired: false });
  });

  test('past day 90 only an intranet MP helps: the internet client is refused, an intranet one renews there', () => {
    expect(planStart(client({}), at(91))).toMatchObject({
      step: 'token-expired',
      token: { expiresAt: at(90).toISOString() },
    });
    expect(planStart(client({ assignedMp: MP }), at(91))).toMatchObject({ step: 'token-expired' });
    expect(planStart(client({ location: 'intranet', assignedMp: MP }), at(91))).toMatchObject({
      step: 'renew',
      route: { kind: 'intranet', mp: MP },
      expired: true,
    });
  });
});
