import { CcmlabError } from './errors';

/**
 * The process clock. `--now <ISO-8601>` (or CCMLAB_NOW) sets the instant the process
 * starts at; the clock then runs on at real speed, so a lab can stand on day 31 and
 * still see seconds pass.
 */
export interface Clock {
  now(): Date;
  /** Milliseconds between this clock and the machine's. */
  readonly offsetMs: number;
}

export const systemClock: Clock = { now: () => new Date(), offsetMs: 0 };

// Date and time, optional fraction, and a zone (Z or ±hh:mm); a bare date means midnight UTC.
const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2}))?$/i;

/** Whether the text's year, month and day name a day of the calendar (JavaScript rolls 2026-02-30 over to March 2). */
function isCalendarDay(text: string): boolean {
  const [year, month, day] = text.slice(0, 10).split('-').map(Number);
  const date = new Date(Date.UTC(year, month - 1, day));
  return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}

export function parseIsoInstant(text: string, what: string): Date {
  const trimmed = text.trim();
  const date = ISO_INSTANT.test(trimmed) && isCalendarDay(trimmed) ? new Date(trimmed) : new Date(Number.NaN);
  if (Number.isNaN(date.getTime())) {
    throw new CcmlabError(
      'CCMLAB_E_BAD_NOW',
      `${what} '${text}' is not an ISO-8601 instant: write it like 2026-11-25T10:00:00Z (a date alone means midnight UTC)`,
    );
  }
  return date;
}

/**
 * How far a clock may stand from the machine's: ±100 years (36,525 days). Every clock ccmlab
 * runs on is kept within it, so no time it reads can be out of Date's range (an invalid Date
 * compares false with everything, and a check that compares false fails open).
 */
export const MAX_CLOCK_OFFSET_MS = 36_525 * 86_400_000;

export function isClockOffset(offsetMs: number): boolean {
  return Number.isSafeInteger(offsetMs) && Math.abs(offsetMs) <= MAX_CLOCK_OFFSET_MS;
}

/** The offset of `start` from the machine's clock; refused beyond ±100 years. */
export function offsetTo(start: Date, what: string, realNow: number = Date.now()): number {
  const offsetMs = start.getTime() - realNow;
  if (!isClockOffset(offsetMs)) {
    const shown = Number.isNaN(start.getTime()) ? '' : ` ${start.toISOString()}`;
    throw new CcmlabError(
      'CCMLAB_E_BAD_NOW',
      `${what}${shown} is more than 100 years from this machine's clock: ccmlab keeps every clock within ±100 years; give a time nearer now`,
    );
  }
  return offsetMs;
}

export function clockStartingAt(start: Date, realNow: () => number = Date.now, what = 'the start time'): Clock {
  const offsetMs = offsetTo(start, what, realNow());
  return { now: () => new Date(realNow() + offsetMs), offsetMs };
}
