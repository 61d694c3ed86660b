import * as crypto from 'node:crypto';
import * as path from 'node:path';
import { systemClock } from '../../src/core/clock';
import { readCrl } from '../../src/pki/crl';
import { crlStillServable, PublishedCrl, revokeSiteCertificate } from '../../src/site/revocation';
import { SiteCredentials } from '../../src/site/site-credentials';
import { initSite, openSite, type Site } from '../../src/site/site-dir';
import { removeDir, tempDir } from '../support/paths';

/** The CRL the MP publishes: signed once, served again until a revocation, the root or an hour of lab time says otherwise. */

const HOUR = 3_600_000;

test('a signed CRL is served again within the hour after it was signed, never once the clock went back before it', () => {
  const signedAt = Date.parse('2026-03-01T10:00:00Z');
  expect(crlStillServable(signedAt, signedAt)).toBe(true);
  expect(crlStillServable(signedAt, signedAt + HOUR - 1)).toBe(true);
  expect(crlStillServable(signedAt, signedAt + HOUR)).toBe(false);
  expect(crlStillServable(signedAt, signedAt - 1)).toBe(false);
});

describe('PublishedCrl', () => {
  let dir: string;
  let site: Site;
  let other: Site;
  const rootKey = () => new crypto.X509Certificate(site.certificatePem('sms-issuing')).publicKey;
  beforeAll(async () => {
    dir = tempDir();
    await initSite({
      dir: path.join(dir, 'site'),
      siteCode: 'LAB',
      mpName: 'mp01.lab.test',
      cmgName: 'cmg.lab.test',
      roleId: '72057594037927941',
      passive: false,
      force: false,
      clock: systemClock,
      crlDistributionPoint: true,
    });
    site = openSite(path.join(dir, 'site'));
    // Revocations come from the console: another connection to the database.
    other = openSite(path.join(dir, 'site'));
  });
  afterAll(() => {
    other.close();
    site.close();
    removeDir(dir);
  });

  test('the same CRL while nothing changed; a new one after a revocation by another connection, and after an hour', () => {
    const crl = new PublishedCrl(new SiteCredentials(site));
    const now = new Date();
    const first = crl.current(now);
    expect(crl.current(new Date(now.getTime() + 1000))).toBe(first);
    const revoked = revokeSiteCertificate(other, 'cmg', now);
    const listing = crl.current(new Date(now.getTime() + 2000));
    expect(listing).not.toBe(first);
    expect(readCrl(listing, rootKey()).revokedSerials.has(revoked.serial.replace(/^(00)+/, ''))).toBe(true);
    expect(crl.current(new Date(now.getTime() + 3000))).toBe(listing);
    const later = new Date(now.getTime() + 2 * HOUR);
    const fresh = crl.current(later);
    expect(fresh).not.toBe(listing);
    expect(readCrl(fresh, rootKey()).nextUpdate?.getTime()).toBeGreaterThan(later.getTime());
  });
});
