import { SIGNED_TIME_WINDOW_MS, signedTimeDefect } from '../../src/site/signed-time';

const now = new Date('2026-11-25T10:00:00Z');
const off = (ms: number) => new Date(now.getTime() + ms);

describe('the signed-time window (ClientToken and registration TimeStamp alike)', () => {
  test('15 minutes either way are within it, to the millisecond', () => {
    expect(SIGNED_TIME_WINDOW_MS).toBe(15 * 60_000);
    expect(signedTimeDefect('the time', off(-SIGNED_TIME_WINDOW_MS), now)).toBeUndefined();
    expect(signedTimeDefect('the time', off(SIGNED_TIME_WINDOW_MS), now)).toBeUndefined();
    expect(signedTimeDefect('the time', off(-SIGNED_TIME_WINDOW_MS - 1), now)).toBe(
      "the time 11/25/2026 09:44:59 is 16 minutes before the site's clock (11/25/2026 10:00:00); 15 minutes either way are allowed",
    );
    expect(signedTimeDefect('the time', off(SIGNED_TIME_WINDOW_MS + 1), now)).toMatch(
      /is 16 minutes after the site's clock/,
    );
  });

  test('far times are told in hours, then days', () => {
    expect(signedTimeDefect('the time', off(-2 * 3_600_000), now)).toMatch(/is 2 hours before/);
    expect(signedTimeDefect('the time', off(47 * 3_600_000 + 1), now)).toMatch(/is 47 hours after/);
    expect(signedTimeDefect('its TimeStamp', off(-3 * 365 * 86_400_000), now)).toMatch(
      /^its TimeStamp 11\/26\/2023 10:00:00 is 1095 days before/,
    );
  });
});
