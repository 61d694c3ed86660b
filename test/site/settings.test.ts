import { DEFAULT_SETTINGS, listenerLimits, readSettings, writeSetting } from '../../src/site/settings';
import { openSiteDb, type SiteDb } from '../../src/site/site-db';

let db: SiteDb;
beforeEach(() => (db = openSiteDb(':memory:', { create: true })));
afterEach(() => db.close());

describe('listener settings', () => {
  test('defaults: 30 s header, 60 s request, 120 s idle, 1024 connections', () => {
    expect(listenerLimits(readSettings(db))).toEqual({ headerTimeoutS: 30, requestTimeoutS: 60, idleTimeoutS: 120, maxConnections: 1024 });
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
