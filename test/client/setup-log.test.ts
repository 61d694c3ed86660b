import { msiPropertiesLine } from '../../src/client/setup-log';

test('MSI properties as the real ccmsetup.log writes them for its command line (REAL: /mp:server.dmz SMSSITECODE=abc FSP=primary.lan)', () => {
  expect(`MSI properties:    ${msiPropertiesLine({ SMSSITECODE: 'abc', FSP: 'primary.lan' })}`).toBe(
    'MSI properties:    CCMFIRSTCERT="1" CCMHTTPPORT="80" CCMHTTPSCERTNAME="" CCMHTTPSPORT="443" CCMHTTPSSTATE="224" FSP="primary.lan" SMSSITECODE="abc"',
  );
});

test('a property given overrides its default and is named in upper case', () => {
  expect(msiPropertiesLine({ ccmhttpsstate: '63', SMSSiteCode: 'ABC' })).toBe(
    'CCMFIRSTCERT="1" CCMHTTPPORT="80" CCMHTTPSCERTNAME="" CCMHTTPSPORT="443" CCMHTTPSSTATE="63" SMSSITECODE="ABC"',
  );
});
