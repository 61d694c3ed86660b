import { compileLine, lineSpecDefect, nearestLine, type LineSpec } from '../../src/diagnose/line-match';

const matches = (spec: LineSpec, message: string, bindings = {}) =>
  compileLine(spec, bindings).find(message) !== undefined;

describe('literal lines match real spacing', () => {
  test('padding before a colon (real records) matches the article text, and back', () => {
    const padded = '[CCMHTTP]            : WINHTTP_CALLBACK_STATUS_FLAG_CERT_CN_INVALID is set';
    const plain = '[CCMHTTP] : WINHTTP_CALLBACK_STATUS_FLAG_CERT_CN_INVALID is set';
    expect(matches({ text: plain }, padded)).toBe(true);
    expect(matches({ text: padded }, plain)).toBe(true);
    expect(matches({ text: plain }, '[CCMHTTP]:WINHTTP_CALLBACK_STATUS_FLAG_CERT_CN_INVALID is set')).toBe(true);
    expect(matches({ text: plain }, '[CCMHTTP] : WINHTTP_CALLBACK_STATUS_FLAG_INVALID_CA is set')).toBe(false);
  });

  test('spaces after = (the support article) match none (other articles), and back', () => {
    const spaced = '[CCMHTTP] ERROR INFO: StatusCode= 403 StatusText= CMGConnector_Clientcertificaterequired';
    const tight = '[CCMHTTP] ERROR INFO: StatusCode=403 StatusText=CMGConnector_Clientcertificaterequired';
    expect(matches({ text: spaced }, tight)).toBe(true);
    expect(matches({ text: tight }, spaced)).toBe(true);
    expect(
      matches(
        { text: tight },
        '[CCMHTTP] ERROR INFO: StatusCode= 403 StatusText=CMGConnector_Clientcertificaterequired',
      ),
    ).toBe(true);
    expect(matches({ text: tight }, '[CCMHTTP] ERROR INFO: StatusCode=403 StatusText=CMGConnector_Forbidden')).toBe(
      false,
    );
  });

  test("the article's >Code=0 typo matches Code=0, and back; StatusCode= is not a Code=", () => {
    const typo =
      '[CCMHTTP] ERROR: URL=https://CMGSERVER.CLOUDAPP.NET/CCM_Proxy_ServerAuth/ServiceMetadata , Port=443, Options=224, >Code=0, Text=CCM_E_BAD_HTTP_STATUS_CODE';
    const real = typo.replace('>Code', 'Code');
    expect(matches({ text: real }, typo)).toBe(true);
    expect(matches({ text: typo }, real)).toBe(true);
    expect(matches({ text: 'StatusCode=401' }, 'Status>Code=401')).toBe(false);
  });

  test('runs of whitespace, CR/LF and TAB inside a record match one space; a space before a comma is optional', () => {
    const spec = {
      text: 'Return code: 401, Description: PreAuth token validation failed, System.IdentityModel.Tokens.SecurityTokenExpiredException: IDX10223: Lifetime validation failed.',
    };
    expect(
      matches(
        spec,
        'Return code: 401, Description: PreAuth token validation failed, System.IdentityModel.Tokens.SecurityTokenExpiredException:\r\nIDX10223: Lifetime validation failed. The token is expired.',
      ),
    ).toBe(true);
    expect(matches({ text: 'ServiceMetadata , Port=443' }, 'ServiceMetadata, Port=443')).toBe(true);
    expect(matches({ text: 'a b' }, 'a\t \tb')).toBe(true);
    expect(matches({ text: 'a b' }, 'ab')).toBe(false);
  });

  test('a line is found inside a longer message (a pasted row with its columns)', () => {
    expect(
      matches(
        { text: 'Client is in Internet' },
        'Client is in Internet\tClientLocation\t19/02/2019 13:49:35\t8548 (0x2164)',
      ),
    ).toBe(true);
  });
});

describe('placeholders', () => {
  const rotation =
    'Rotating internet management point, new management point [1] is: https://{cmg}/CCM_Proxy_MutualAuth/{roleId} (0) with capabilities: <Capabilities SchemaVersion ="1.0"><Property Name="SSL" Version="1" /></Capabilities>';
  const documented =
    'Rotating internet management point, new management point [1] is: https://CONTOSO.CLOUDAPP.NET/CCM_Proxy_MutualAuth/72186325152220500 (0) with capabilities: <Capabilities SchemaVersion ="1.0"><Property Name="SSL" Version="1" /></Capabilities>';

  test('unbound, they match any value', () => {
    expect(matches({ text: rotation }, documented)).toBe(true);
    expect(matches({ text: rotation }, documented.replace('CONTOSO.CLOUDAPP.NET', 'cmg.lab.test'))).toBe(true);
  });

  test('bound, they match that value only; host names and site codes in any case', () => {
    const bound = { cmg: 'contoso.cloudapp.net', roleId: '72186325152220500', siteCode: 'abc' };
    expect(matches({ text: rotation }, documented, bound)).toBe(true);
    expect(matches({ text: rotation }, documented.replace('CONTOSO', 'FABRIKAM'), bound)).toBe(false);
    expect(matches({ text: rotation }, documented.replace('20500', '20999'), bound)).toBe(false);
    expect(matches({ text: 'site <{siteCode}>' }, 'site <ABC>', bound)).toBe(true);
    expect(matches({ text: 'site <{siteCode}>' }, 'site <XYZ>', bound)).toBe(false);
  });

  test('guid, n, hex, time and * each match their kind of value', () => {
    expect(matches({ text: 'for GUID:{guid} ...' }, 'for GUID:C66EE0FD-08E7-4B38-B282-7E6954B71139 ...')).toBe(true);
    expect(matches({ text: 'Approval status {n}' }, 'Approval status 3')).toBe(true);
    expect(matches({ text: 'lpvStatusInformation is 0x{hex}' }, 'lpvStatusInformation is 0x9')).toBe(true);
    expect(matches({ text: "Will expire at '{time}'" }, "Will expire at '06/25/2020 08:29:35'")).toBe(true);
    expect(matches({ text: "Will expire at '{time}'" }, "Will expire at 'soon'")).toBe(false);
    expect(matches({ text: 'from {*}: 401' }, 'from 127.0.0.1:5555: 401')).toBe(true);
    // {*} stays within a line, so a pasted excerpt's lines are not joined by it.
    expect(matches({ text: 'a {*}, b' }, 'a x\ny, b')).toBe(false);
  });

  test('a pattern is a regular expression over the message, with placeholders', () => {
    const spec = {
      pattern: "^Return code: 401, .*SecurityTokenExpiredException:\\s+IDX10223: .*\\s+ValidTo: '{time}'",
    };
    expect(
      matches(
        spec,
        "Return code: 401, Description: PreAuth token validation failed, System.IdentityModel.Tokens.SecurityTokenExpiredException:\r\nIDX10223: Lifetime validation failed. The token is expired.\r\nValidTo: '10/01/2020 22:03:24'",
      ),
    ).toBe(true);
    expect(matches({ pattern: 'x{2}' }, 'xx')).toBe(true);
  });

  test('find reports where, from an offset on (several matches in a pasted block)', () => {
    const m = compileLine({ text: 'is set' });
    const text = 'A is set\nB is set';
    expect(m.find(text)).toEqual({ index: 2, length: 6 });
    expect(m.find(text, 3)).toEqual({ index: 11, length: 6 });
    expect(m.find(text, 12)).toBeUndefined();
  });

  test('defects: a placeholder first, or right after {*} (a search would read a long run of its characters from every start)', () => {
    expect(lineSpecDefect({ text: '{hex} replaced' })).toMatch(
      /^starts with the placeholder \{hex\}; start the line with its words$/,
    );
    expect(lineSpecDefect({ text: 'from {*}{n} on' })).toMatch(
      /^has \{n\} right after \{\*\}; put the words between them$/,
    );
    expect(lineSpecDefect({ text: 'from {*} {n} on' })).toBeUndefined();
  });

  test('{*} stays within one line, takes the spaces around it, and finds its line after many false starts', () => {
    const spec = { text: 'TLS with {*} failed (CERT_REVOKED: {*})' };
    expect(matches(spec, 'TLS with   host.contoso.com    failed (CERT_REVOKED: 0x1)')).toBe(true);
    expect(matches(spec, 'TLS with host\nmore failed (CERT_REVOKED: 0x1)')).toBe(false);
    expect(matches(spec, 'TLS withfailed (CERT_REVOKED: x)')).toBe(false);
    const starts = `${'TLS with '.repeat(50_000)}x failed (CERT_REVOKED: y)`;
    expect(compileLine(spec).find(starts)).toEqual({ index: 0, length: starts.length });
    const later = `TLS with a\n${'TLS with b '.repeat(3)}failed (CERT_REVOKED: z)`;
    expect(compileLine(spec).find(later)?.index).toBe(later.indexOf('TLS with b'));
  });

  test('defects: an unknown placeholder, a bad regular expression', () => {
    expect(lineSpecDefect({ text: 'https://{cmgName}/x' })).toMatch(/unknown placeholder \{cmgName\}/);
    expect(lineSpecDefect({ pattern: '(' })).toMatch(/not a valid regular expression/);
    expect(lineSpecDefect({ text: 'Sending message {{guid}} to {*}' })).toBeUndefined();
  });
});

describe('nearest line', () => {
  test('the record sharing most words, undefined when none shares any', () => {
    const records = [
      { message: 'ProcessRequest - Start' },
      { message: '[CCMHTTP] ERROR INFO: StatusCode=401 StatusText=CMGService_Invalid_Token' },
      { message: 'Issued token' },
    ];
    expect(
      nearestLine({ text: '[CCMHTTP] ERROR INFO: StatusCode=403 StatusText=CMGConnector_Forbidden' }, records),
    ).toBe(records[1]);
    expect(nearestLine({ pattern: '^Issued\\s+token$' }, records)).toBe(records[2]);
    expect(nearestLine({ text: 'nothing alike' }, records)).toBeUndefined();
  });
});
