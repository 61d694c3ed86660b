import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadCatalogue } from '../../src/diagnose/catalogue';
import { diagnose, diagnoseLogs, MAX_EVIDENCE } from '../../src/diagnose/diagnose';
import { compileLine } from '../../src/diagnose/line-match';
import {
  DIAGNOSE_LIMITS,
  logLinesOf,
  MAX_SIGHTING_CHARS,
  readLogs,
  sightings,
  type LogLine,
} from '../../src/diagnose/log-lines';
import { clientIdsIn, clientsByFolder, NEAR_MS, tiedOwners } from '../../src/diagnose/ties';
import { fixture, removeDir, tempDir } from '../support/paths';

const catalogue = loadCatalogue();
const ids = (paths: string[]) => diagnose(paths, catalogue).findings.map((f) => f.id);

describe('real-world logs and excerpts (fixtures/diagnose/real-world)', () => {
  test("a UTF-16LE ccmsetup.log with KB-CMG's 401 pair (>Code=0 typo included): what the client can see", () => {
    const { findings, files } = diagnose([fixture('diagnose', 'real-world', 'kb-cmg-401')], catalogue);
    expect(files).toBe(1);
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({
      id: 'cmg-invalid-token',
      title: expect.stringContaining('401 CMGService_Invalid_Token'),
      cause: expect.stringContaining('bulk-token-expired'),
    });
    expect(findings[0].evidence).toEqual([
      {
        file: fixture('diagnose', 'real-world', 'kb-cmg-401', 'ccmsetup.log'),
        line: 8,
        time: '2020-10-28T13:05:05.118Z',
        text: '[CCMHTTP] ERROR: URL=https://CMGSERVER.CLOUDAPP.NET/CCM_Proxy_ServerAuth/ServiceMetadata , Port=443, Options=224, >Code=0, Text=CCM_E_BAD_HTTP_STATUS_CODE',
      },
      {
        file: fixture('diagnose', 'real-world', 'kb-cmg-401', 'ccmsetup.log'),
        line: 9,
        time: '2020-10-28T13:05:05.118Z',
        text: '[CCMHTTP] ERROR INFO: StatusCode=401 StatusText=CMGService_Invalid_Token',
      },
    ]);
  });

  test("the connection point's old-format log (.lo_ and .log) names the connector's 403", () => {
    const [found, ...rest] = diagnose([fixture('diagnose', 'real-world', 'connection-point')], catalogue).findings;
    expect(rest).toEqual([]);
    expect(found.id).toBe('cmg-connector-client-cert-required');
    expect(found.evidence.map((e) => [e.file.endsWith('SMS_CLOUD_PROXYCONNECTOR.log'), e.line, e.time])).toEqual([
      [true, 1, '2020-10-28T13:05:06.101Z'],
      [true, 2, '2020-10-28T13:05:06.150Z'],
      [true, 3, '2020-10-28T13:05:06.151Z'],
    ]);
    expect(found.evidence[2].text).toMatch(
      /^Received response .*SITESIGNCERT for message .*: HTTP\/1\.1 403 CMGConnector_Clientcertificaterequired/,
    );
  });

  test('a bare excerpt with padded [CCMHTTP] lines: the flag names the failure, the other lines tie to it by place', () => {
    const [found, ...rest] = diagnose(
      [fixture('diagnose', 'real-world', 'pasted', 'ticket-excerpt.txt')],
      catalogue,
    ).findings;
    expect(rest).toEqual([]);
    expect(found.id).toBe('cmg-name-mismatch');
    expect(found.evidence.map((e) => [e.line, e.time])).toEqual([3, 4, 5, 6, 7].map((line) => [line, null]));
    expect(found.evidence[3].text).toBe('[CCMHTTP]            : WINHTTP_CALLBACK_STATUS_FLAG_CERT_CN_INVALID is set');
  });
});

describe("an expired bulk token (ccmlab's logs, fixtures/diagnose/expired-bulk-token)", () => {
  test("the client's logs alone: the 401 and its possible causes", () => {
    const [found, ...rest] = diagnose([fixture('diagnose', 'expired-bulk-token', 'clients')], catalogue).findings;
    expect(rest).toEqual([]);
    expect(found.id).toBe('cmg-invalid-token');
    expect(found.evidence.map((e) => e.text)).toEqual([
      expect.stringMatching(
        /^\[CCMHTTP\] ERROR: URL=https:\/\/CONTOSO\.CLOUDAPP\.NET\/CCM_Proxy_ServerAuth\/ServiceMetadata , Port=443/,
      ),
      '[CCMHTTP] ERROR INFO: StatusCode=401 StatusText=CMGService_Invalid_Token',
      expect.stringMatching(/^the CMG refused the bulk token/),
    ]);
  });

  test("with the site's logs: bulk-token-expired, the client's 401 tied to the site's CCM_STS.log reason", () => {
    const [found, ...rest] = diagnose([fixture('diagnose', 'expired-bulk-token')], catalogue).findings;
    expect(rest).toEqual([]);
    expect(found.id).toBe('bulk-token-expired');
    const cited = found.evidence.map((e) => `${e.file.split(/[\\/]/).slice(-2).join('/')}:${e.text.split('\r\n')[0]}`);
    expect(cited).toEqual([
      expect.stringMatching(
        /^site\/CMGService\.log:Refused GET \/CCM_Proxy_ServerAuth\/ServiceMetadata .*\(TOKEN_EXPIRED\)\.$/,
      ),
      'site/CCM_STS.log:Return code: 401, Description: PreAuth token validation failed, System.IdentityModel.Tokens.SecurityTokenExpiredException:',
      expect.stringMatching(/^PC01\/ccmsetup\.log:\[CCMHTTP\] ERROR: URL=/),
      'PC01/ccmsetup.log:[CCMHTTP] ERROR INFO: StatusCode=401 StatusText=CMGService_Invalid_Token',
      expect.stringMatching(/^PC01\/ccmsetup\.log:the CMG refused the bulk token/),
      'PC01/ccmsetup.log:CcmSetup failed with error code 0x87D00231',
    ]);
    expect(found.evidence[1].text).toMatch(
      /IDX10223: Lifetime validation failed\. The token is expired\.\r\nValidTo: '[^']+'\r\nCurrent time: '[^']+'\./,
    );
  });
});

test("a success's logs: no finding", () => {
  expect(ids([fixture('diagnose', 'bulk-token-success')])).toEqual([]);
});

test('errors no signature explains are all cited in one unknown finding', () => {
  const { findings } = diagnose([fixture('diagnose', 'unexplained')], catalogue);
  expect(findings.map((f) => f.id)).toEqual(['unknown']);
  expect(findings[0].evidence.map((e) => `${e.file.split(/[\\/]/).pop()}:${e.line}`)).toEqual([
    'CcmMessaging.log:1',
    'CcmMessaging.log:2',
    'CcmMessaging.log:3',
    'ccmsetup.log:2',
    'ccmsetup.log:4',
    'ccmsetup.log:7',
  ]);
});

/* ---- The pieces ---- */

const at = (ms: number) => new Date(Date.UTC(2026, 0, 15, 10, 0, 0) + ms).toISOString();
const record = (message: string, line: number, ms: number, type: 0 | 1 | 2 | 3 = 3): LogLine => ({
  message,
  line,
  time: at(ms),
  type,
});
const STS = (reason: string) =>
  `Return code: 401, Description: PreAuth token validation failed, System.IdentityModel.Tokens.${reason}`;

test("two clients, two reasons: each client's 401 is tied to the site's record nearest in time", () => {
  const tenMinutes = 10 * 60 * 1000;
  const logs = new Map<string, LogLine[]>([
    [
      'site/CCM_STS.log',
      [
        record(
          `${STS('SecurityTokenExpiredException:')}\r\nIDX10223: Lifetime validation failed. The token is expired.`,
          1,
          0,
        ),
        record(
          `${STS('SecurityTokenValidationException:')}\r\nBulk registration token 84c84ce1-e067-4017-8050-52bb96778d41 is blocked.`,
          3,
          tenMinutes,
        ),
      ],
    ],
    ['PC01/ccmsetup.log', [record('[CCMHTTP] ERROR INFO: StatusCode=401 StatusText=CMGService_Invalid_Token', 5, 2)]],
    [
      'PC02/ccmsetup.log',
      [record('[CCMHTTP] ERROR INFO: StatusCode=401 StatusText=CMGService_Invalid_Token', 9, tenMinutes + 3)],
    ],
  ]);
  const findings = diagnoseLogs(logs, catalogue);
  expect(findings.map((f) => [f.id, f.evidence.map((e) => e.file)])).toEqual([
    ['bulk-token-blocked', ['site/CCM_STS.log', 'PC02/ccmsetup.log']],
    ['bulk-token-expired', ['site/CCM_STS.log', 'PC01/ccmsetup.log']],
  ]);
});

test('a 401 too far in time from any reason is reported as what the client sees, beside the reason found', () => {
  const logs = new Map<string, LogLine[]>([
    [
      'site/CCM_STS.log',
      [
        record(
          `${STS('SecurityTokenExpiredException:')}\r\nIDX10223: Lifetime validation failed. The token is expired.`,
          1,
          0,
        ),
      ],
    ],
    [
      'PC01/ccmsetup.log',
      [record('[CCMHTTP] ERROR INFO: StatusCode=401 StatusText=CMGService_Invalid_Token', 5, NEAR_MS + 1)],
    ],
  ]);
  expect(diagnoseLogs(logs, catalogue).map((f) => [f.id, f.evidence.length])).toEqual([
    ['bulk-token-expired', 1],
    ['cmg-invalid-token', 1],
  ]);
});

test('evidence is capped, and says how many lines more', () => {
  const many = Array.from({ length: MAX_EVIDENCE + 10 }, (_, i) => record(`Something else failed (${i})`, i + 1, i));
  const [unknown] = diagnoseLogs(new Map([['x.log', many]]), catalogue);
  expect(unknown).toMatchObject({ id: 'unknown', moreEvidence: 10 });
  expect(unknown.evidence).toHaveLength(MAX_EVIDENCE);
});

describe('logLinesOf: records and bare text with the physical line each starts on', () => {
  test('a multi-line record, then bare text (blank lines counted), then a record', () => {
    const rec = (msg: string, type: number) =>
      `<![LOG[${msg}]LOG]!><time="10:00:00.000+00" date="01-15-2026" component="c" context="" type="${type}" thread="4" file="">`;
    const text = [rec('one\r\ntwo', 3), 'bare A', '', 'bare B', rec('three', 1)].join('\r\n');
    expect(logLinesOf(text).lines).toEqual([
      { message: 'one\r\ntwo', line: 1, time: '2026-01-15T10:00:00.000Z', type: 3 },
      { message: 'bare A\r\n\r\nbare B', line: 3, time: null, type: null },
      { message: 'three', line: 6, time: '2026-01-15T10:00:00.000Z', type: 1 },
    ]);
  });
});

test('in bare text every match is seen, each on its own physical line, a match over two lines at its first', () => {
  const [block] = logLinesOf(
    'heading\r\n[CCMHTTP]            : WINHTTP_CALLBACK_STATUS_FLAG_INVALID_CA is set\r\n\r\n[CCMHTTP] :\r\nWINHTTP_CALLBACK_STATUS_FLAG_CERT_CN_INVALID is set\r\n',
  ).lines;
  expect(sightings(compileLine({ text: '[CCMHTTP] : WINHTTP_CALLBACK_STATUS_FLAG_{*} is set' }), block)).toEqual([
    { line: 2, time: null, type: null, text: '[CCMHTTP]            : WINHTTP_CALLBACK_STATUS_FLAG_INVALID_CA is set' },
    { line: 4, time: null, type: null, text: '[CCMHTTP] :\nWINHTTP_CALLBACK_STATUS_FLAG_CERT_CN_INVALID is set' },
  ]);
});

test('in bare text one sighting per physical line, however many matches it holds, its text cut at MAX_SIGHTING_CHARS', () => {
  const long = `${'Issued token '.repeat(20_000)}\nIssued token`;
  const found = sightings(compileLine({ text: 'Issued token' }), { message: long, line: 7, time: null, type: null });
  expect(found.map((s) => [s.line, s.text.length])).toEqual([
    [7, MAX_SIGHTING_CHARS],
    [8, 'Issued token'.length],
  ]);
});

describe('ties', () => {
  const reason = (owner: string, file: string, line: number, time: string | null, clients: string[] = []) => ({
    owner,
    file,
    line,
    time,
    clients,
  });

  test('in the same file a few lines apart: every owner there', () => {
    const seen = { file: 'a.log', line: 10, time: null, clients: [] };
    expect(
      tiedOwners(seen, [reason('x', 'a.log', 9, null), reason('y', 'a.log', 8, null), reason('z', 'a.log', 100, null)]),
    ).toEqual(['x', 'y']);
  });

  test('else the nearest in time within the window, of the same client when both say', () => {
    const seen = { file: 'c.log', line: 1, time: at(0), clients: ['GUID:AAAAAAAA-0000-0000-0000-000000000000'] };
    expect(
      tiedOwners(seen, [
        reason('far', 's.log', 1, at(NEAR_MS + 1)),
        reason('near', 's.log', 2, at(1000)),
        reason('nearer', 's.log', 3, at(-10)),
      ]),
    ).toEqual(['nearer']);
    expect(
      tiedOwners(seen, [reason('other client', 's.log', 1, at(1), ['GUID:BBBBBBBB-0000-0000-0000-000000000000'])]),
    ).toEqual([]);
    expect(
      tiedOwners(seen, [reason('same client', 's.log', 1, at(1), ['GUID:AAAAAAAA-0000-0000-0000-000000000000'])]),
    ).toEqual(['same client']);
    expect(tiedOwners({ ...seen, time: null }, [reason('near', 's.log', 2, at(0))])).toEqual([]);
  });

  test("client IDs are read from a line, and from every log of a client's folder", () => {
    expect(
      clientIdsIn("Processing Registration request from Client 'guid:7ebd1032-7719-4ed3-b2a4-dde666578c50'"),
    ).toEqual(['GUID:7EBD1032-7719-4ED3-B2A4-DDE666578C50']);
    const byFolder = clientsByFolder([
      [
        'PC01/ClientIDManagerStartup.log',
        '[RegTask] - Client is registered. Server assigned ClientID is GUID:7EBD1032-7719-4ED3-B2A4-DDE666578C50. Approval status 1',
      ],
      ['PC01/ccmsetup.log', 'nothing'],
    ]);
    expect(byFolder.get('PC01')).toEqual(['GUID:7EBD1032-7719-4ED3-B2A4-DDE666578C50']);
  });
});

describe('two clients, two failures', () => {
  const line = (message: string, n: number, type: 1 | 3 = 3): LogLine => ({
    message,
    line: n,
    time: `2026-12-01T10:00:0${n}.000Z`,
    type,
  });
  const failedWith = (hex: string) => line(`CcmSetup failed with error code 0x${hex}`, 3, 1);
  const logs = new Map<string, LogLine[]>([
    [
      '/logs/clients/PC01/ccmsetup.log',
      [
        line('[CCMHTTP]            : WINHTTP_CALLBACK_STATUS_FLAG_INVALID_CA is set', 1),
        line(
          '[CCMHTTP] ERROR: URL=https://CMG.CONTOSO.COM/CCM_Proxy_ServerAuth/ServiceMetadata, Port=443, Options=63, Code=12175, Text=ERROR_WINHTTP_SECURE_FAILURE',
          2,
        ),
        failedWith('80072F8F'),
      ],
    ],
    [
      '/logs/clients/PC02/ccmsetup.log',
      [
        line(
          '[CCMHTTP] ERROR: URL=https://CMG.CONTOSO.COM/CCM_Proxy_ServerAuth/ServiceMetadata, Port=443, Options=63, Code=12029, Text=ERROR_WINHTTP_CANNOT_CONNECT',
          1,
        ),
        failedWith('80072EFD'),
      ],
    ],
  ]);

  test("each failure cites its own client's generic lines, never the other client's", () => {
    const findings = diagnoseLogs(logs, catalogue);
    const filesOf = (id: string) => [...new Set(findings.find((f) => f.id === id)?.evidence.map((e) => e.file))];
    expect(findings.map((f) => f.id).sort()).toEqual(['cmg-down', 'untrusted-cmg-root']);
    expect(filesOf('untrusted-cmg-root')).toEqual(['/logs/clients/PC01/ccmsetup.log']);
    expect(filesOf('cmg-down')).toEqual(['/logs/clients/PC02/ccmsetup.log']);
  });
});

test('reading out of time keeps the lines read and names the file it stopped in and the files never read', () => {
  const dir = tempDir();
  try {
    const record = (i: number) =>
      `<![LOG[record ${i}]LOG]!><time="10:00:00.000+00" date="01-01-2026" component="x" context="" type="1" thread="1" file="x.cpp:1">\r\n`;
    fs.writeFileSync(path.join(dir, 'A.log'), Array.from({ length: 3000 }, (_, i) => record(i)).join(''));
    fs.writeFileSync(path.join(dir, 'B.log'), record(0));
    const read = readLogs([dir], { ...DIAGNOSE_LIMITS, maxReadMs: -1 });
    expect(read.unread).toMatchObject({ file: path.join(dir, 'A.log'), unreadLogs: 1 });
    expect(read.logs.get(path.join(dir, 'A.log'))?.length).toBeGreaterThan(0);
    expect(read.logs.has(path.join(dir, 'B.log'))).toBe(false);
    expect(readLogs([dir]).unread).toBeUndefined();
  } finally {
    removeDir(dir);
  }
});
