import { cmgHostName, cmgProxyPath, tokenEnrollmentCommandLine } from '../../src/protocol/cmg-address';

describe('the CMG address and the token enrollment command line (pure)', () => {
  test('the CMG path of a role ID, and the CMG as CCMHOSTNAME takes it', () => {
    expect(cmgProxyPath('72186325152220500')).toBe('/CCM_Proxy_MutualAuth/72186325152220500');
    expect(cmgHostName('CONTOSO.CLOUDAPP.NET', '72186325152220500')).toBe(
      'CONTOSO.CLOUDAPP.NET/CCM_Proxy_MutualAuth/72186325152220500',
    );
  });

  test("the article's command line: the CMG as /mp and CCMHOSTNAME, the site code, the bulk token", () => {
    expect(tokenEnrollmentCommandLine(cmgHostName('CMG', '7'), 'ABC', 'T')).toEqual([
      '/mp:https://CMG/CCM_Proxy_MutualAuth/7',
      'CCMHOSTNAME=CMG/CCM_Proxy_MutualAuth/7',
      'SMSSiteCode=ABC',
      '/regtoken:T',
    ]);
  });
});
