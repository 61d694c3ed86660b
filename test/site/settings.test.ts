import * as path from 'node:path';
import { currentSettings, DEFAULT_SETTINGS, listenerLimits, readSettings, writeSetting } from '../../src/site/settings';
import { openSiteDb, type SiteDb } from '../../src/site/site-db';
import { removeDir, tempDir } from '../support/paths';

let db: SiteDb;
beforeEach(() => (db = openSiteDb(':memory:', { create: true })));
afterEach(() => db.close());

describe('listener settings', () => {
  test('defaults: 30 s header, 60 s request, 120 s idle, 1024 connections', () => {
    expect(listenerLimits(readSettings(db))).toEqual({
      headerTimeoutS: 30,
      requestTimeoutS: 60,
      idleTimeoutS: 120,
      maxConnections: 1024,
    });
  });

  test('a whole number within the bounds is kept and read back', () => {
    expect(writeSetting(db, 'listener.headerTimeout', ' 1 ')).toBe(1);
    expect(writeSetting(db, 'listener.maxConnections', '100000')).toBe(100_000);
    expect(listenerLimits(readSettings(db))).toMatchObject({ headerTimeoutS: 1, maxConnections: 100_000 });
  });

  test.each([
    ['listener.headerTimeout', '0', 'whole seconds from 1 to 600'],
    ['listener.headerTimeout', '601', 'whole seconds from 1 to 600'],
    ['listener.requestTimeout', '1.5', 'whole seconds from 1 to 3600'],
    ['listener.idleTimeout', '-1', 'whole seconds from 1 to 3600'],
    ['listener.maxConnections', '1e3', 'a whole number from 1 to 100000'],
    ['listener.maxConnections', '', 'a whole number from 1 to 100000'],
  ] as const)('%s cannot be %j', (key, text, hint) => {
    expect(() => writeSetting(db, key, text)).toThrow(`${key} cannot be '${text}'; use ${hint}`);
    expect(readSettings(db)[key]).toBe(DEFAULT_SETTINGS[key]);
  });
});

describe("Enhanced HTTP and the connection point's client certificate", () => {
  test('defaults: Enhanced HTTP on, no client authentication certificate on the connection point', () => {
    expect(readSettings(db)).toMatchObject({ 'mp.enhancedHttp': true, 'connector.clientAuthCertificate': false });
  });

  test('true and false in any case, spaces trimmed, read back', () => {
    expect(writeSetting(db, 'mp.enhancedHttp', ' FALSE ')).toBe(false);
    expect(writeSetting(db, 'connector.clientAuthCertificate', 'True')).toBe(true);
    expect(readSettings(db)).toMatchObject({ 'mp.enhancedHttp': false, 'connector.clientAuthCertificate': true });
  });

  test.each([
    ['mp.enhancedHttp', 'off'],
    ['mp.enhancedHttp', '0'],
    ['connector.clientAuthCertificate', 'yes'],
    ['connector.clientAuthCertificate', ''],
  ] as const)('%s cannot be %j', (key, text) => {
    expect(() => writeSetting(db, key, text)).toThrow(`${key} cannot be '${text}'; use true or false`);
    expect(readSettings(db)[key]).toBe(DEFAULT_SETTINGS[key]);
  });
});

describe('the running site reads them again only when they may have changed', () => {
  test('kept while nothing is committed; a commit by another connection or writeSetting on this one is seen at the next use', () => {
    const dir = tempDir();
    const file = path.join(dir, 'site.db');
    const site = openSiteDb(file, { create: true });
    const other = openSiteDb(file);
    try {
      const first = currentSettings(site);
      expect(currentSettings(site)).toBe(first);
      writeSetting(other, 'listener.maxConnections', '7');
      expect(currentSettings(site)['listener.maxConnections']).toBe(7);
      const second = currentSettings(site);
      expect(currentSettings(site)).toBe(second);
      writeSetting(site, 'registration.approval', 'manual');
      expect(currentSettings(site)['registration.approval']).toBe('manual');
      expect(Object.isFrozen(currentSettings(site))).toBe(true);
    } finally {
      other.close();
      site.close();
      removeDir(dir);
    }
  });
});
