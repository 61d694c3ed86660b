import { acceptedDigest, rememberAccepted, wasAccepted } from '../../src/site/accepted-registrations';
import { openSiteDb } from '../../src/site/site-db';

const at = (minutes: number) => new Date(Date.UTC(2026, 10, 25, 10, minutes));

describe('registration requests accepted before', () => {
  test('a request is known by its key and the bytes it signed, until its time passes', () => {
    const db = openSiteDb(':memory:', { create: true });
    try {
      const signed = Buffer.from('<Data …>', 'utf16le');
      const digest = acceptedDigest('key-a', signed);
      expect(acceptedDigest('key-b', signed)).not.toBe(digest);
      expect(acceptedDigest('key-a', Buffer.concat([signed, Buffer.from([0])]))).not.toBe(digest);
      expect(wasAccepted(db, digest)).toBe(false);
      rememberAccepted(db, digest, at(15), at(0));
      rememberAccepted(db, digest, at(15), at(1));
      expect(wasAccepted(db, digest)).toBe(true);
      // Forgotten at the next registration after its window closes, not before.
      rememberAccepted(db, acceptedDigest('key-c', signed), at(30), at(15));
      expect(wasAccepted(db, digest)).toBe(true);
      rememberAccepted(db, acceptedDigest('key-d', signed), at(31), at(16));
      expect(wasAccepted(db, digest)).toBe(false);
      expect((db.prepare('SELECT COUNT(*) AS n FROM accepted_registrations').get() as { n: number }).n).toBe(2);
    } finally {
      db.close();
    }
  });
});
