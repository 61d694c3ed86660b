import * as fs from 'node:fs';
import * as path from 'node:path';
import { systemClock } from '../../src/core/clock';
import { parseCmTrace } from '../../src/log/cmtrace-parse';
import { closeAllLogs } from '../../src/log/open-logs';
import {
  changeSetting,
  changeTokenBlock,
  renewCertificate,
  revokeCertificate,
  siteSetting,
  tokenRows,
  type SiteAdmin,
} from '../../src/site/administration';
import { newBulkToken, initLabSite } from '../support/test-site';
import { removeDir, tempDir } from '../support/paths';

/** Site administration: what the console changes through the SMS Provider, each change one SMSProv.log line. */

let work: string;
let admin: SiteAdmin;
beforeAll(async () => {
  work = tempDir();
  admin = { siteDir: path.join(work, 'site'), logDir: path.join(work, 'logs'), clock: systemClock };
  await initLabSite(admin.siteDir);
});
afterAll(async () => {
  await closeAllLogs();
  removeDir(work);
});

const providerLines = (): string[] => {
  const file = path.join(admin.logDir, 'SMSProv.log');
  return fs.existsSync(file) ? parseCmTrace(fs.readFileSync(file, 'utf8')).entries.map((e) => e.message) : [];
};

test('blocking a token is said once in SMSProv.log; blocking it again changes nothing and says so; an unknown GUID says nothing', () => {
  const { guid } = newBulkToken(admin.siteDir);
  const before = providerLines().length;
  expect(changeTokenBlock(admin, guid, true)).toMatchObject({
    changed: true,
    message: `Bulk registration token ${guid} is now blocked.`,
  });
  expect(changeTokenBlock(admin, guid, true)).toMatchObject({
    changed: false,
    message: `Bulk registration token ${guid} was already blocked; nothing changed.`,
  });
  expect(() => changeTokenBlock(admin, '00000000-0000-0000-0000-000000000000', true)).toThrow(
    expect.objectContaining({ code: 'CCMLAB_E_TOKEN_NOT_FOUND' }),
  );
  expect(providerLines().slice(before)).toEqual([
    `Bulk registration token ${guid} is now blocked.`,
    `Bulk registration token ${guid} was already blocked; nothing changed.`,
  ]);
  expect(tokenRows(admin, false).find((row) => row.guid === guid)).toMatchObject({ status: 'Blocked' });
  expect(
    tokenRows(admin, true)
      .filter((row) => row.guid === null)
      .map((row) => row.type),
  ).toContain('SMS Token Signing Certificate');
});

test('a renewal and a revocation are each said once in SMSProv.log', async () => {
  const before = providerLines().length;
  const renewed = await renewCertificate(admin, 'token-signing');
  const revoked = revokeCertificate(admin, 'cmg');
  expect(providerLines().slice(before)).toEqual([
    `SMS Token Signing Certificate renewed: ${renewed.previous} replaced by ${renewed.current}. Tokens signed by the old certificate are no longer accepted.`,
    revoked.message,
  ]);
  expect(revoked.message).toBe(
    `CMG server certificate ${revoked.serial} is revoked: it is on the CRL the MP publishes.`,
  );
});

test('settings are read and changed by name; an unknown name changes nothing', () => {
  const { key, value } = siteSetting(admin.siteDir, 'listener.maxConnections');
  expect(key).toBe('listener.maxConnections');
  expect(changeSetting(admin.siteDir, 'listener.maxConnections', String(Number(value) + 1))).toEqual({
    key,
    value: Number(value) + 1,
  });
  expect(() => changeSetting(admin.siteDir, 'nope', '1')).toThrow(
    expect.objectContaining({ code: 'CCMLAB_E_BAD_OPTION' }),
  );
  expect(siteSetting(admin.siteDir, 'listener.maxConnections').value).toBe(Number(value) + 1);
});
