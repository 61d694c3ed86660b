import * as fs from 'node:fs';
import * as path from 'node:path';
import { msiPropertiesLine, SetupLog } from '../../src/client/setup-log';
import { systemClock } from '../../src/core/clock';
import { CcmlabError } from '../../src/core/errors';
import { parseCmTrace, type ParsedEntry } from '../../src/log/cmtrace-parse';
import { removeDir, tempDir } from '../support/paths';

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

describe('ccmsetup.log on the emulated Windows machine', () => {
  let dir: string;
  beforeEach(() => {
    dir = tempDir();
  });
  afterEach(() => removeDir(dir));

  async function written(run: (log: SetupLog) => void): Promise<ParsedEntry[]> {
    const log = new SetupLog(dir, systemClock);
    run(log);
    await log.log.close();
    return parseCmTrace(fs.readFileSync(path.join(dir, 'ccmsetup.log'), 'utf8')).entries;
  }

  test('opens as REAL does (CONTENT-PHASE.md 1.1): its lines in its order, its file= values, a Windows OS and folder', async () => {
    const entries = await written((log) => log.started('/mp:mp01 SMSSITECODE=ABC', 'TARGETSERVER'));
    expect(entries.map((e) => [e.file, e.message.replace(/\d+/g, 'N')])).toEqual([
      ['ccmsetup.cpp:9498', '==========[ ccmsetup started in process N ]=========='],
      ['ccmsetup.cpp:627', 'Launch from folder C:\\Install\\sccm client\\'],
      ['ccmsetup.cpp:633', 'CcmSetup version: N.N.N.N'],
      [
        'util.cpp:2075',
        "[TARGETSERVER] Running on 'Microsoft Windows N Enterprise' (N.N.N). Service Pack (N.N). SuiteMask = N. Product Type = N",
      ],
      ['ccmsetup.cpp:3813', 'Ccmsetup command line: ccmsetup.exe  /mp:mpN SMSSITECODE=ABC'],
    ]);
    // A Windows process id, as REAL's 476 and 3324 are: a multiple of 4.
    expect(Number(/process (\d+) ]/.exec(entries[0].message)?.[1]) % 4).toBe(0);
  });

  test("a failure is logged in its logText, never in the terminal's message; without one, by the exit line alone", async () => {
    const stated = new CcmlabError(
      'CCMCLIENT_E_CANNOT_CONNECT',
      "cannot connect to cmg (ECONNREFUSED); run 'ccmlab site start'",
      {
        logText: 'cannot connect to cmg',
      },
    );
    const emulators = new CcmlabError('CCMLAB_E_BAD_OPTION', '--bogus is not an emulator option; see /tmp/x');
    const entries = await written((log) => {
      log.refused(stated);
      log.refused(emulators);
    });
    expect(entries.map((e) => [e.type, e.message])).toEqual([
      [3, 'cannot connect to cmg'],
      [1, 'CcmSetup failed with error code 0x80072EFD'],
      [1, 'CcmSetup failed with error code 0x80070057'],
    ]);
  });
});
