import type { Clock } from '../core/clock';
import { CcmlabError } from '../core/errors';
import { parseIsoInstant } from '../core/clock';
import type { SiteDb } from './site-db';

/**
 * The running site's clock. It starts as the process clock (--now), and `ccmlab site
 * clock set` moves it while the site runs: the override is an offset from the machine's
 * clock in the site database, read on every use. The running site records its own start
 * offset so that `+31d` is counted from what the site shows now.
 */

const OVERRIDE = 'clock.offsetMs';
const PROCESS = 'clock.processOffsetMs';

function readNumber(db: SiteDb, key: string): number | undefined {
  const row = db.prepare('SELECT value FROM settings WHERE key = ?').get(key) as { value: string } | undefined;
  const n = row ? Number(row.value) : Number.NaN;
  return Number.isFinite(n) ? n : undefined;
}

function writeNumber(db: SiteDb, key: string, value: number | undefined): void {
  if (value === undefined) db.prepare('DELETE FROM settings WHERE key = ?').run(key);
  else db.prepare('INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value').run(key, String(value));
}

export function siteClock(db: SiteDb, processClock: Clock): Clock {
  writeNumber(db, PROCESS, processClock.offsetMs);
  return {
    now: () => {
      const override = readNumber(db, OVERRIDE);
      return override === undefined ? processClock.now() : new Date(Date.now() + override);
    },
    get offsetMs() {
      return readNumber(db, OVERRIDE) ?? processClock.offsetMs;
    },
  };
}

const RELATIVE = /^([+-])(\d{1,6})([dhm])$/;
const UNIT_MS = { d: 86_400_000, h: 3_600_000, m: 60_000 } as const;

/** `ccmlab site clock set <ISO|+Nd|+Nh|+Nm|reset>`: returns the site's time after the change. */
export function setSiteClock(db: SiteDb, value: string): Date {
  if (value === 'reset') {
    writeNumber(db, OVERRIDE, undefined);
    return new Date(Date.now() + (readNumber(db, PROCESS) ?? 0));
  }
  const current = readNumber(db, OVERRIDE) ?? readNumber(db, PROCESS) ?? 0;
  const relative = RELATIVE.exec(value);
  let offset: number;
  if (relative) {
    const delta = Number(relative[2]) * UNIT_MS[relative[3] as keyof typeof UNIT_MS];
    offset = current + (relative[1] === '-' ? -delta : delta);
  } else {
    if (!/^\d{4}-/.test(value)) {
      throw new CcmlabError('CCMLAB_E_BAD_NOW', `'${value}' is neither an ISO-8601 instant, +Nd/+Nh/+Nm, nor reset`);
    }
    offset = parseIsoInstant(value, 'the site clock').getTime() - Date.now();
  }
  writeNumber(db, OVERRIDE, offset);
  return new Date(Date.now() + offset);
}
