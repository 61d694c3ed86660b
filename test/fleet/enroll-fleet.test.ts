import * as fs from 'node:fs';
import * as path from 'node:path';
import * as setupCommand from '../../src/client/setup-command';
import { runFleetEnroll } from '../../src/fleet/enroll-fleet';
import { labAt } from '../../src/world/lab';
import { removeDir, tempDir } from '../support/paths';

/**
 * A fleet in-process, with an embedded lab of its own: its clients' settings are built and
 * checked once for the whole fleet, and no client's command line is parsed back from an argv;
 * each client's ccmsetup.log still records the command line those settings stand for.
 */

let work: string;
beforeAll(() => {
  work = tempDir();
});
afterAll(() => removeDir(work));
afterEach(() => jest.restoreAllMocks());

test("3 clients: the settings are built once, no argv is parsed, and each ccmsetup.log shows the article's command line", async () => {
  const built = jest.spyOn(setupCommand, 'tokenEnrollmentSetup');
  const parsed = jest.spyOn(setupCommand, 'parseSetupCommand');
  const fleetDir = path.join(work, 'fleet');
  const summary = await runFleetEnroll({
    count: 3,
    concurrency: 3,
    lab: labAt(path.join(work, 'lab')),
    labGiven: false,
    fleetDir,
    namePattern: 'PC{n}',
    keyCache: undefined,
    logs: 'all',
    regToken: undefined,
    regTokenFile: undefined,
    cmg: undefined,
    siteCode: undefined,
    connectTo: [],
    caFile: undefined,
    now: undefined,
  });
  expect(summary).toMatchObject({ mode: 'embedded', enrolled: 3, failed: 0 });
  expect(built).toHaveBeenCalledTimes(1);
  expect(parsed).not.toHaveBeenCalled();
  for (const name of ['PC1', 'PC2', 'PC3']) {
    const log = fs.readFileSync(path.join(fleetDir, 'logs', 'clients', name, 'ccmsetup.log'), 'utf8');
    expect(log).toContain(
      'Ccmsetup command line: ccmsetup.exe  /mp:https://CONTOSO.CLOUDAPP.NET/CCM_Proxy_MutualAuth/72186325152220500 CCMHOSTNAME=CONTOSO.CLOUDAPP.NET/CCM_Proxy_MutualAuth/72186325152220500 SMSSiteCode=ABC /regtoken:<redacted>',
    );
  }
});
