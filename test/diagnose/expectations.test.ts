import type { Expectation } from '../../src/diagnose/catalogue';
import { checkExpectations, namesLog } from '../../src/diagnose/expectations';
import type { LogLine } from '../../src/diagnose/log-lines';

const expectation = (text: string, type: 0 | 1 | 2 | 3 = 1, log = 'ccmsetup.log'): Expectation => ({
  log,
  text,
  type,
  key: false,
  origin: 'ccmlab',
  signature: true,
});
const lines = (...records: Array<[message: string, type: 0 | 1 | 2 | 3]>): LogLine[] =>
  records.map(([message, type], i) => ({
    message,
    type,
    line: i + 1,
    time: new Date(Date.UTC(2026, 0, 15, 10, 0, i)).toISOString(),
  }));

describe('checkExpectations', () => {
  const log = lines(
    ['Checking the CMG: https://CONTOSO.CLOUDAPP.NET/CCM_Proxy_ServerAuth/ServiceMetadata', 1],
    ['[CCMHTTP] ERROR INFO: StatusCode=401 StatusText=CMGService_Invalid_Token', 3],
    ['CcmSetup failed with error code 0x87D00231', 1],
  );
  const logs = new Map([['lab/logs/clients/PC01/ccmsetup.log', log]]);

  test('lines in order and of their type hold, with where they were found', () => {
    const [first, second] = checkExpectations(
      {
        expect: [
          expectation('Checking the CMG: https://{cmg}/CCM_Proxy_ServerAuth/ServiceMetadata'),
          expectation('StatusCode=401 StatusText=CMGService_Invalid_Token', 3),
        ],
      },
      logs,
      { cmg: 'contoso.cloudapp.net' },
    );
    expect(first).toMatchObject({
      ok: true,
      found: { file: 'lab/logs/clients/PC01/ccmsetup.log', line: 1, type: 1, time: '2026-01-15T10:00:00.000Z' },
    });
    expect(second).toMatchObject({
      ok: true,
      found: { line: 2, text: '[CCMHTTP] ERROR INFO: StatusCode=401 StatusText=CMGService_Invalid_Token' },
    });
  });

  test('a line of another type is found but wrong', () => {
    const [result] = checkExpectations({ expect: [expectation('StatusCode=401', 1)] }, logs);
    expect(result).toMatchObject({ ok: false, why: 'wrong type', found: { line: 2, type: 3 } });
  });

  test('a line before the one expected before it is out of order; the check goes on from the last line that held', () => {
    const results = checkExpectations(
      {
        expect: [
          expectation('CcmSetup failed'),
          expectation('Checking the CMG'),
          expectation('CcmSetup failed with error code 0x{hex}'),
        ],
      },
      logs,
    );
    expect(results.map((r) => [r.ok, r.why, r.found?.line])).toEqual([
      [true, undefined, 3],
      [false, 'out of order', 1],
      [true, undefined, 3],
    ]);
  });

  test('a missing line comes with the nearest line of its log', () => {
    const [result] = checkExpectations(
      { expect: [expectation('[CCMHTTP] ERROR INFO: StatusCode=403 StatusText=CMGConnector_Forbidden', 3)] },
      logs,
    );
    expect(result).toMatchObject({ ok: false, why: 'missing', nearest: { line: 2 } });
    expect(result.found).toBeUndefined();
  });

  test('a log that was not written: every line missing, nothing nearest', () => {
    const [result] = checkExpectations({ expect: [expectation('Return token to client', 1, 'CCM_STS.log')] }, logs);
    expect(result).toEqual({ expect: expect.anything(), ok: false, why: 'missing' });
  });

  test('several lines may hold on one multi-line record, never on an earlier one', () => {
    const sts = lines(
      ['ProcessRequest - Start', 1],
      [
        "Return code: 401, Description: PreAuth token validation failed, System.IdentityModel.Tokens.SecurityTokenExpiredException:\r\nIDX10223: Lifetime validation failed. The token is expired.\r\nValidTo: '10/01/2020 22:03:24'",
        3,
      ],
    );
    const results = checkExpectations(
      {
        expect: [
          { ...expectation('IDX10223: Lifetime validation failed.', 3, 'CCM_STS.log') },
          expectation("ValidTo: '{time}'", 3, 'CCM_STS.log'),
          expectation('ProcessRequest - Start', 1, 'CCM_STS.log'),
        ],
      },
      new Map([['site/CCM_STS.log', sts]]),
    );
    expect(results.map((r) => [r.ok, r.why])).toEqual([
      [true, undefined],
      [true, undefined],
      [false, 'out of order'],
    ]);
  });

  test('where several files answer to a log name, the one where most lines hold is taken', () => {
    const failed = lines(['CcmSetup failed with error code 0x80072F8F', 1]);
    const passed = lines(
      ['Ccmsetup command line: ccmsetup.exe /NoCRLCheck', 1],
      ['CcmSetup is exiting with return code 0', 1],
    );
    const results = checkExpectations(
      {
        expect: [
          expectation('Ccmsetup command line: {*}/NoCRLCheck'),
          expectation('CcmSetup is exiting with return code 0'),
        ],
      },
      new Map([
        ['PC01/ccmsetup.log', failed],
        ['PC02/ccmsetup.log', passed],
      ]),
    );
    expect(results.map((r) => [r.ok, r.found?.file])).toEqual([
      [true, 'PC02/ccmsetup.log'],
      [true, 'PC02/ccmsetup.log'],
    ]);
  });

  test('a log name is the file name or the end of its path, in any case', () => {
    expect(namesLog('lab/logs/clients/PC01/ccmsetup.log', 'ccmsetup.log')).toBe(true);
    expect(namesLog('C:\\Windows\\ccmsetup\\Logs\\CCMSetup.log', 'ccmsetup.log')).toBe(true);
    expect(namesLog('logs/clients/PC01/ccmsetup.log', 'PC01/ccmsetup.log')).toBe(true);
    expect(namesLog('logs/clients/PC01/myccmsetup.log', 'ccmsetup.log')).toBe(false);
  });
});
