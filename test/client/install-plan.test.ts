import { planInstall } from '../../src/client/install-plan';
import { parseSetupCommand } from '../../src/client/setup-command';
import type { ClientState } from '../../src/client/client-state';
import { readFixture } from '../support/paths';

const token = readFixture('tokens', 'bulk-shape-only.jwt').trim();
const CMG = 'CONTOSO.CLOUDAPP.NET/CCM_Proxy_MutualAuth/72186325152220500';
const command = (...args: string[]) => parseSetupCommand(args).command;
const existing = (tokenText: string | null) =>
  ({ config: { smsid: 'GUID:11111111-1111-4111-8111-111111111111' }, token: tokenText }) as unknown as ClientState;

describe('install plan (pure)', () => {
  test('uninstall and /logon over an installed client', () => {
    expect(planInstall(command('/uninstall'), undefined, false, undefined)).toEqual({ kind: 'uninstall' });
    const there = existing('t');
    expect(planInstall(command('/mp:mp01', '/logon'), there, true, undefined)).toEqual({
      kind: 'nothing-to-do',
      existing: there,
    });
  });

  test('a bulk token install goes through the CMG as the admin wrote its name; /forceinstall removes the old client first', () => {
    const plan = planInstall(
      command(`/mp:https://${CMG}`, `CCMHOSTNAME=${CMG}`, 'SMSSiteCode=ABC', `/regtoken:${token}`, '/forceinstall'),
      existing('t'),
      true,
      token,
    );
    expect(plan).toMatchObject({
      kind: 'install',
      removeFirst: true,
      keep: undefined,
      internet: true,
      bearer: { kind: 'bulk', token },
      route: { kind: 'cmg', origin: 'https://CONTOSO.CLOUDAPP.NET', roleId: '72186325152220500' },
    });
  });

  test('a rerun keeps the identity; a CMG-only rerun uses the client token, and needs one', () => {
    const there = existing('client.token');
    expect(planInstall(command('/mp:mp01', 'RESETKEYINFORMATION=TRUE'), there, true, undefined)).toMatchObject({
      kind: 'install',
      removeFirst: false,
      keep: there,
      route: { kind: 'intranet', mp: 'http://mp01' },
      resetKeys: true,
    });
    expect(planInstall(command(`CCMHOSTNAME=${CMG}`, 'SMSSiteCode=ABC'), there, true, undefined)).toMatchObject({
      bearer: { kind: 'client', token: 'client.token' },
    });
    expect(() =>
      planInstall(command(`CCMHOSTNAME=${CMG}`, 'SMSSiteCode=ABC'), existing(null), true, undefined),
    ).toThrow(/no unique token yet/);
    expect(() =>
      planInstall(command('/UsePKICert', 'CCMHOSTNAME=mp.contoso.com', 'SMSSITECODE=ABC'), undefined, false, undefined),
    ).toThrow(/does not emulate/);
  });
});
