import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  parseSetupCommand,
  readConfigFile,
  readConfigInstallLine,
  tokenEnrollmentSetup,
} from '../../src/client/setup-command';
import { tokenEnrollmentCommandLine } from '../../src/protocol/cmg-address';
import { CcmlabError } from '../../src/core/errors';
import { splitWindowsCommandLine } from '../../src/core/windows-command-line';
import { articleCorruptedToken, fixture, readFixture } from '../support/paths';

const token = readFixture('tokens', 'bulk-shape-only.jwt').trim();
const corrupted = articleCorruptedToken();
const CMG = 'CONTOSO.CLOUDAPP.NET/CCM_Proxy_MutualAuth/72186325152220500';

function argvOf(line: string): string[] {
  return splitWindowsCommandLine(line.replace('<token>', token).replace('<corrupted>', corrupted));
}

const readFromFixtures = (file: string): Buffer => readConfigFile(path.join(fixture('command-lines'), file));

function parse(line: string) {
  return parseSetupCommand(argvOf(line), { readFile: readFromFixtures });
}

function refusal(line: string): CcmlabError {
  try {
    parse(line);
  } catch (error) {
    if (error instanceof CcmlabError) return error;
    throw error;
  }
  throw new Error(`expected a refusal of: ${line}`);
}

describe('documented command lines (fixtures/command-lines)', () => {
  const dir = fixture('command-lines');
  for (const name of fs.readdirSync(dir).filter((n) => n.endsWith('.json'))) {
    const scenario = JSON.parse(fs.readFileSync(path.join(dir, name), 'utf8')) as {
      line: string;
      expect?: Record<string, unknown>;
      error?: { code: string; exitCode: number; message: string };
    };
    test(name, () => {
      if (scenario.error) {
        const error = refusal(scenario.line);
        expect(error.code).toBe(scenario.error.code);
        expect(error.exitCode).toBe(scenario.error.exitCode);
        expect(error.message).toContain(scenario.error.message);
        expect(error.message).not.toContain('\n');
      } else {
        expect(parse(scenario.line).command).toMatchObject(scenario.expect ?? {});
      }
    });
  }
});

describe('ccmsetup grammar', () => {
  test('names are case-insensitive, values verbatim, any order', () => {
    const { command, regToken } = parse(`/REGTOKEN:<token> smssitecode=abc ccmHostName=${CMG} /MP:https://${CMG}`);
    expect(command.parameters).toMatchObject({ regtoken: '<redacted>', mp: [`https://${CMG}`] });
    expect(command.properties).toEqual({ SMSSITECODE: 'abc', CCMHOSTNAME: CMG });
    expect(command.siteCode).toBe('ABC');
    expect(regToken).toBe(token);
    expect(JSON.stringify(command)).not.toContain(token);
  });

  test('/mp: takes a ;-separated list and keeps each entry in order', () => {
    const { command } = parse('/mp:mp1.lab.test;https://mp2.lab.test:8443;http://mp3 SMSSITECODE=LAB');
    expect(command.mp.map((m) => m.url)).toEqual(['http://mp1.lab.test', 'https://mp2.lab.test:8443', 'http://mp3']);
    expect(command.mp[1].port).toBe(8443);
  });

  test('the role ID stays a decimal string beyond 2^53', () => {
    const { command } = parse(
      `CCMHOSTNAME=cmg.lab.test/CCM_Proxy_MutualAuth/72057594037927941 SMSSITECODE=LAB /regtoken:<token>`,
    );
    expect(command.cmg?.roleId).toBe('72057594037927941');
    expect(command.mp).toEqual([]);
  });

  test('an unknown NAME=value property is passed on with a warning', () => {
    const { command } = parse('/mp:SMSMP01 SMSSITECODE=S01 FOO=bar AADTENANTID=1234');
    expect(command.properties.FOO).toBe('bar');
    expect(command.warnings.join('\n')).toMatch(/FOO is not a client installation property/);
    expect(command.warnings.join('\n')).toMatch(/AADTENANTID is accepted but not emulated/);
  });

  test('logging properties become the client log settings', () => {
    const { command } = parse(
      '/mp:SMSMP01 SMSSITECODE=S01 CCMLOGLEVEL=0 CCMLOGMAXSIZE=100000 CCMLOGMAXHISTORY=3 CCMENABLELOGGING=FALSE',
    );
    expect(command.logSettings).toEqual({ enabled: false, level: 0, debug: false, maxSize: 100000, maxHistory: 3 });
  });

  test('the command line wins over the /config file', () => {
    const { command } = parse('/config:"configuration file name.txt" SMSSITECODE=XYZ /mp:other.lab.test');
    expect(command.properties.SMSSITECODE).toBe('XYZ');
    expect(command.parameters.mp).toEqual(['other.lab.test']);
    expect(command.properties.CCMADMINS).toBe('domain\\account1;domain\\group1');
  });

  test('the /config Install= line is split by Windows rules', () => {
    expect(readConfigInstallLine('configuration file name.txt', readFromFixtures)).toEqual([
      'INSTALL=ALL',
      'SMSSITECODE=ABC',
      'CCMADMINS=domain\\account1;domain\\group1',
      'CCMLOGMAXSIZE=500000',
      '/mp:mp01.contoso.com',
      '/source:\\\\server\\share',
    ]);
  });

  test('a /config file in UTF-16LE with BOM reads the same', () => {
    const text = readFromFixtures('configuration file name.txt').toString('utf8');
    const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]);
    expect(readConfigInstallLine('x.tcf', () => utf16)).toContain('SMSSITECODE=ABC');
  });
});

describe('refusals name the defect', () => {
  const cases: Array<[string, string, RegExp]> = [
    [`/mp:http://${CMG} SMSSITECODE=ABC /regtoken:<token>`, 'CCMSETUP_E_BAD_MP', /only answers https:\/\//],
    [
      `CCMHOSTNAME=https://${CMG} SMSSITECODE=ABC /regtoken:<token>`,
      'CCMSETUP_E_BAD_CCMHOSTNAME',
      /must not have a scheme/,
    ],
    [
      `CCMHOSTNAME=${CMG} SMSSITECODE=AUTO /regtoken:<token>`,
      'CCMSETUP_E_AUTO_WITH_CCMHOSTNAME',
      /AUTO cannot be combined with CCMHOSTNAME/,
    ],
    [`CCMHOSTNAME=${CMG} SMSSITECODE=ABCD /regtoken:<token>`, 'CCMSETUP_E_BAD_SITECODE', /3 letters or digits/],
    [`CCMHOSTNAME=${CMG} SMSSITECODE=A-C /regtoken:<token>`, 'CCMSETUP_E_BAD_SITECODE', /not a site code/],
    [`CCMHOSTNAME=${CMG} /regtoken:<token>`, 'CCMSETUP_E_BAD_SITECODE', /needs its site code/],
    [`/mp:SMSMP01 SMSSITECODE=ABC /regtoken:<token>`, 'CCMSETUP_E_REGTOKEN_WITHOUT_CMG', /needs a CMG/],
    [
      `CCMHOSTNAME=cmg.lab.test/CCM_Proxy_MutualAuth/abc SMSSITECODE=ABC`,
      'CCMSETUP_E_BAD_CCMHOSTNAME',
      /MP role ID digits/,
    ],
    [`/mp:SMSMP01 /regtokn:x SMSSITECODE=ABC`, 'CCMSETUP_E_UNKNOWN_SWITCH', /did you mean \/regtoken\?/],
    [`/mp:SMSMP01 /forceinstal SMSSITECODE=ABC`, 'CCMSETUP_E_UNKNOWN_SWITCH', /did you mean \/forceinstall\?/],
    [`/mp:SMSMP01 /logon:yes`, 'CCMSETUP_E_BAD_SWITCH_VALUE', /\/logon takes no value/],
    [`/mp:SMSMP01 /regtoken`, 'CCMSETUP_E_BAD_SWITCH_VALUE', /\/regtoken needs a value/],
    [`/mp:SMSMP01 /mp:SMSMP02`, 'CCMSETUP_E_DUPLICATE_SWITCH', /\/mp is given more than once/],
    [`/mp:SMSMP01 /BITSPriority:urgent`, 'CCMSETUP_E_BAD_SWITCH_VALUE', /FOREGROUND, HIGH, NORMAL, LOW/],
    [`/mp:SMSMP01 /retry:ten`, 'CCMSETUP_E_BAD_SWITCH_VALUE', /not a whole number/],
    [`/mp:SMSMP01 CCMLOGMAXSIZE=9999`, 'CCMSETUP_E_BAD_PROPERTY_VALUE', /at least 10000/],
    [`/mp:SMSMP01 CCMLOGLEVEL=4`, 'CCMSETUP_E_BAD_PROPERTY_VALUE', /0 \(verbose\) to 3/],
    [`/mp:SMSMP01 CCMENABLELOGGING=maybe`, 'CCMSETUP_E_BAD_PROPERTY_VALUE', /not TRUE or FALSE/],
    [`/mp:ftp://SMSMP01`, 'CCMSETUP_E_BAD_MP', /http:\/\/ or https:\/\//],
    [`SMSSITECODE=ABC`, 'CCMSETUP_E_NO_MP', /no management point/],
    [`stray-word /mp:SMSMP01`, 'CCMSETUP_E_BAD_ARGUMENT', /neither a \/parameter nor a PROPERTY=value/],
    [`/config:missing.tcf`, 'CCMSETUP_E_BAD_CONFIG_FILE', /does not exist/],
    // Host names are checked as typed: WHATWG URL would turn full-width letters into ASCII.
    [
      `/mp:http://\uFF33\uFF2D\uFF33\uFF2D\uFF30\uFF10\uFF11`,
      'CCMSETUP_E_BAD_MP',
      /host '.*' has U\+FF33; a host name is ASCII letters/,
    ],
    [`/mp:SMS!MP01`, 'CCMSETUP_E_BAD_MP', /has '!' \(U\+0021\)/],
    [`/mp:http://${'a'.repeat(64)}.test`, 'CCMSETUP_E_BAD_MP', /a label of 64 characters, more than the 63/],
    [
      `/mp:http://${Array.from({ length: 5 }, () => 'a'.repeat(60)).join('.')}`,
      'CCMSETUP_E_BAD_MP',
      /304 characters long, more than the 253/,
    ],
    [
      `CCMHOSTNAME=\uFF23ONTOSO.CLOUDAPP.NET/CCM_Proxy_MutualAuth/72186325152220500 SMSSITECODE=ABC /regtoken:<token>`,
      'CCMSETUP_E_BAD_CCMHOSTNAME',
      /host '.*' has U\+FF23/,
    ],
    [`CCMHOSTNAME=cmg..test SMSSITECODE=ABC`, 'CCMSETUP_E_BAD_CCMHOSTNAME', /empty label/],
  ];
  test.each(cases)('%s', (line, code, message) => {
    const error = refusal(line);
    expect(error.code).toBe(code);
    expect(error.message).toMatch(message);
    expect(error.exitCode).toBe(6);
  });

  const tokenCases: Array<[string, RegExp]> = [
    ['abc', /has 1 part/],
    ['a.b', /has 2 parts/],
    ['a.b.c.d', /has 4 parts/],
    ['!!!.e30.c2ln', /header is not base64url/],
    [`${Buffer.from('{"alg":"none"}').toString('base64url')}.e30.c2ln`, /algorithm "none"/],
    [
      `${Buffer.from('{"alg":"RS256","x5t":"x"}').toString('base64url')}.${Buffer.from('[1]').toString('base64url')}.c2ln`,
      /payload is JSON but not an object/,
    ],
    [
      `${Buffer.from('{"alg":"RS256","x5t":"x"}').toString('base64url')}.${Buffer.from('{"SCCMTokenCategory":"x"}').toString('base64url')}.c2ln`,
      /no 'Authority' claim/,
    ],
    [`${Buffer.from('{"alg":"RS256"}').toString('base64url')}.e30.c2ln`, /no x5t/],
    [`e30.e30.`, /signature is empty/],
    ['x'.repeat(20000), /more than the 4096/],
  ];
  test.each(tokenCases)('/regtoken %#', (bad, message) => {
    const error = refusal(`CCMHOSTNAME=${CMG} SMSSITECODE=ABC /regtoken:${bad}`);
    expect(error.code).toBe('CCMSETUP_E_BAD_REGTOKEN');
    expect(error.message).toMatch(message);
    expect(error.message).toMatch(/^\/regtoken /);
  });

  test('the article corrupted token: payload is not valid JSON', () => {
    const error = refusal(`/mp:https://${CMG} CCMHOSTNAME=${CMG} SMSSiteCode=ABC /regtoken:<corrupted>`);
    expect(error.message).toMatch(/^\/regtoken is not a bulk registration token: its payload is not valid JSON/);
  });

  test('an expired token of the right shape still passes (the site judges lifetime)', () => {
    const { command } = parse(`CCMHOSTNAME=${CMG} SMSSITECODE=ABC /regtoken:<token>`);
    expect(command.regToken?.claims.exp).toBe(1795600000 + 4320 * 60);
  });
});

describe("the fleet's settings, built without a command line", () => {
  const cases: Array<[string, string, string]> = [
    [CMG, 'ABC', token],
    [CMG, 'abc', token],
    ['cmg.lab.test:4443/CCM_Proxy_MutualAuth/72057594037927941', 'LAB', token],
  ];
  test.each(cases)('are what parsing the article command line gives: %s, %s', (cmg, siteCode, regToken) => {
    expect(tokenEnrollmentSetup(cmg, siteCode, regToken)).toEqual(
      parseSetupCommand(tokenEnrollmentCommandLine(cmg, siteCode, regToken)),
    );
  });

  const refused: Array<[string, string, string]> = [
    [CMG, 'ABCD', token],
    [CMG, 'AUTO', token],
    [CMG, 'ABC', corrupted],
    [CMG, 'ABC', `"${token}"`],
    ['CONTOSO.CLOUDAPP.NET/CCM_Proxy_MutualAuth/x', 'ABC', token],
    ['cm g/CCM_Proxy_MutualAuth/1', 'ABC', token],
  ];
  test.each(refused)('refuse what parsing it refuses, in the same words: %s, %s', (cmg, siteCode, regToken) => {
    const build = () => tokenEnrollmentSetup(cmg, siteCode, regToken);
    const parseLine = () => parseSetupCommand(tokenEnrollmentCommandLine(cmg, siteCode, regToken));
    expect(build).toThrow(CcmlabError);
    expect(catchError(build)).toEqual(catchError(parseLine));
  });
});

function catchError(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return { code: (error as CcmlabError).code, message: (error as CcmlabError).message };
  }
  return undefined;
}
