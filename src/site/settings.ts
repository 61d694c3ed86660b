import { CcmlabError } from '../core/errors';
import type { ListenerLimits } from './connection-guard';
import { othersCommitted, statement, type SiteDb } from './site-db';

/**
 * Site settings, kept in the site database so the running site reads a change at once.
 */

export interface SiteSettings {
  /** First registration reply is pending (Status 1), as real MPs answer. */
  'registration.pending': boolean;
  /** auto | manual: manual holds anonymous intranet registrations until approved. */
  'registration.approval': 'auto' | 'manual';
  /** The intranet MP issues unique client tokens (internal-network registration). */
  'tokens.intranet': boolean;
  /**
   * The site uses Enhanced HTTP; false: its MP is HTTPS-only and requires client certificates,
   * so the CMG connection point needs a client authentication certificate to forward to it.
   */
  'mp.enhancedHttp': boolean;
  /** The CMG connection point has a client authentication certificate (from a PKI the MP trusts). */
  'connector.clientAuthCertificate': boolean;
  /** Seconds from a connection's first byte of a request (or its TCP accept, for TLS) to the end of the head. */
  'listener.headerTimeout': number;
  /** Seconds from a request's first byte to the end of its body. */
  'listener.requestTimeout': number;
  /** Seconds a connection may stay with nothing to read and nothing to answer. */
  'listener.idleTimeout': number;
  /** Open connections per listener; more are closed at accept. */
  'listener.maxConnections': number;
}

export type SettingKey = keyof SiteSettings;

export const DEFAULT_SETTINGS: SiteSettings = {
  'registration.pending': true,
  'registration.approval': 'auto',
  'tokens.intranet': true,
  'mp.enhancedHttp': true,
  'connector.clientAuthCertificate': false,
  'listener.headerTimeout': 30,
  'listener.requestTimeout': 60,
  'listener.idleTimeout': 120,
  'listener.maxConnections': 1024,
};

const BOUNDS = {
  'listener.headerTimeout': 600,
  'listener.requestTimeout': 3600,
  'listener.idleTimeout': 3600,
  'listener.maxConnections': 100_000,
} as const;

const PARSERS: { [K in SettingKey]: (text: string) => SiteSettings[K] | undefined } = {
  'registration.pending': parseBoolean,
  'registration.approval': (text) => (text === 'auto' || text === 'manual' ? text : undefined),
  'tokens.intranet': parseBoolean,
  'mp.enhancedHttp': parseBoolean,
  'connector.clientAuthCertificate': parseBoolean,
  'listener.headerTimeout': (text) => parseWhole(text, BOUNDS['listener.headerTimeout']),
  'listener.requestTimeout': (text) => parseWhole(text, BOUNDS['listener.requestTimeout']),
  'listener.idleTimeout': (text) => parseWhole(text, BOUNDS['listener.idleTimeout']),
  'listener.maxConnections': (text) => parseWhole(text, BOUNDS['listener.maxConnections']),
};

const HINTS: Record<SettingKey, string> = {
  'registration.pending': 'true or false',
  'registration.approval': 'auto or manual',
  'tokens.intranet': 'true or false',
  'mp.enhancedHttp': 'true or false',
  'connector.clientAuthCertificate': 'true or false',
  'listener.headerTimeout': `whole seconds from 1 to ${BOUNDS['listener.headerTimeout']}`,
  'listener.requestTimeout': `whole seconds from 1 to ${BOUNDS['listener.requestTimeout']}`,
  'listener.idleTimeout': `whole seconds from 1 to ${BOUNDS['listener.idleTimeout']}`,
  'listener.maxConnections': `a whole number from 1 to ${BOUNDS['listener.maxConnections']}`,
};

function parseBoolean(text: string): boolean | undefined {
  const lower = text.toLowerCase();
  return lower === 'true' ? true : lower === 'false' ? false : undefined;
}

function parseWhole(text: string, max: number): number | undefined {
  const value = /^\d{1,9}$/.test(text) ? Number(text) : NaN;
  return value >= 1 && value <= max ? value : undefined;
}

/** What each listener reads when it accepts a connection. */
export function listenerLimits(settings: SiteSettings): ListenerLimits {
  return {
    headerTimeoutS: settings['listener.headerTimeout'],
    requestTimeoutS: settings['listener.requestTimeout'],
    idleTimeoutS: settings['listener.idleTimeout'],
    maxConnections: settings['listener.maxConnections'],
  };
}

export function isSettingKey(key: string): key is SettingKey {
  return key in DEFAULT_SETTINGS;
}

export function requireSettingKey(key: string): SettingKey {
  if (!isSettingKey(key)) {
    throw new CcmlabError(
      'CCMLAB_E_BAD_OPTION',
      `'${key}' is not a site setting; the settings are ${Object.keys(DEFAULT_SETTINGS).join(', ')}`,
    );
  }
  return key;
}

export function readSettings(db: SiteDb): SiteSettings {
  const settings: Record<string, unknown> = { ...DEFAULT_SETTINGS };
  for (const row of statement(db, "SELECT key, value FROM settings WHERE key NOT LIKE 'clock.%'").all() as Array<{
    key: string;
    value: string;
  }>) {
    if (isSettingKey(row.key)) {
      const parsed = PARSERS[row.key](row.value);
      if (parsed !== undefined) settings[row.key] = parsed;
    }
  }
  return settings as unknown as SiteSettings;
}

interface KnownSettings {
  /** othersCommitted() when they were read. */
  commits: number;
  settings: Readonly<SiteSettings>;
}

const known = new WeakMap<SiteDb, KnownSettings>();

/**
 * The settings as the running site uses them, read again only when they may have changed (a
 * commit by another connection, `site config set`, or writeSetting on this one): cheap enough
 * for every accepted connection and every request, and still a change's next use sees it.
 */
export function currentSettings(db: SiteDb): Readonly<SiteSettings> {
  const commits = othersCommitted(db);
  const last = known.get(db);
  if (last && last.commits === commits) return last.settings;
  const settings = Object.freeze(readSettings(db));
  known.set(db, { commits, settings });
  return settings;
}

export function writeSetting(db: SiteDb, key: SettingKey, text: string): SiteSettings[SettingKey] {
  const value = PARSERS[key](text.trim());
  if (value === undefined)
    throw new CcmlabError('CCMLAB_E_BAD_OPTION', `${key} cannot be '${text}'; use ${HINTS[key]}`);
  statement(
    db,
    'INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
  ).run(key, String(value));
  // data_version does not move for this connection's own commits.
  known.delete(db);
  return value;
}
