import {
  parseRegistrationTimeStamp,
  registrationFieldDefect,
  type ParsedRegistrationRequest,
} from '../../src/protocol/registration';

describe('registration TimeStamp', () => {
  test.each([
    ['2026-11-25T10:00:00Z', '2026-11-25T10:00:00.000Z'],
    ['2026-11-25T10:00:00', '2026-11-25T10:00:00.000Z'],
    ['2024-02-29T23:59:59.9999999Z', '2024-02-29T23:59:59.999Z'],
    ['2026-01-01T00:00:00.5Z', '2026-01-01T00:00:00.500Z'],
  ])('%s is the instant %s (UTC)', (text, instant) => {
    expect(parseRegistrationTimeStamp(text)?.toISOString()).toBe(instant);
  });

  test.each([
    '2026-02-29T10:00:00Z',
    '2026-11-31T10:00:00Z',
    '2026-13-01T10:00:00Z',
    '2026-00-10T10:00:00Z',
    '2026-11-25T24:00:00Z',
    '2026-11-25T10:60:00Z',
    '2026-11-25T10:00:60Z',
    '0099-11-25T10:00:00Z',
    '2026-11-25T10:00:00.12345678Z',
    '2026-11-25T10:00:00+00:00',
    '2026-11-25 10:00:00Z',
    ' 2026-11-25T10:00:00Z',
    '2026-11-25',
    '',
    '+02026-11-25T10:00:00Z',
    '1764064800',
  ])('%j names no instant', (text) => {
    expect(parseRegistrationTimeStamp(text)).toBeUndefined();
  });

  test('a long hostile TimeStamp is refused in linear time', () => {
    expect(parseRegistrationTimeStamp(`2026-11-25T10:00:00.${'1'.repeat(200_000)}Z`)).toBeUndefined();
  });

  test('a request whose TimeStamp names no instant has a field defect', () => {
    const request = {
      hashAlgorithm: '1.2.840.113549.1.1.11',
      smsid: '',
      requestType: 'Registration',
      timeStamp: '2026-02-30T10:00:00Z',
      agentIdentity: 'CCMSetup.exe',
      agentVersion: '5.00.9128.1000',
      encryptionCertificateDer: Buffer.from('e'),
      signingCertificateDer: Buffer.from('s'),
      netbiosName: 'PC01',
      fqdn: 'pc01.lab.test',
      localeId: '1033',
      internetFlag: '0',
      signedBytes: Buffer.alloc(0),
      signatureHex: '00',
    } as ParsedRegistrationRequest;
    expect(registrationFieldDefect(request)).toBe(
      'TimeStamp (20 characters) is beyond its limit or not in the expected form',
    );
    expect(registrationFieldDefect({ ...request, timeStamp: '2026-02-28T10:00:00Z' })).toBeUndefined();
  });
});
