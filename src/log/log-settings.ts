/**
 * How a log is kept: the client.msi logging properties (CCMENABLELOGGING, CCMLOGLEVEL,
 * CCMDEBUGLOGGING, CCMLOGMAXSIZE, CCMLOGMAXHISTORY) and the site's own. Apart from the logger
 * so that parsing a command line does not load winston.
 */

/** CCMLOGLEVEL: 0 verbose, 1 default, 2 warnings and errors, 3 errors only. */
export type CcmLogLevel = 0 | 1 | 2 | 3;

export interface LogSettings {
  enabled: boolean;
  level: CcmLogLevel;
  debug: boolean;
  maxSize: number;
  maxHistory: number;
}

export const MIN_LOG_SIZE = 10_000;
export const CLIENT_LOG_DEFAULTS: LogSettings = {
  enabled: true,
  level: 1,
  debug: false,
  maxSize: 250_000,
  maxHistory: 1,
};
export const SITE_LOG_DEFAULTS: LogSettings = {
  enabled: true,
  level: 1,
  debug: false,
  maxSize: 2_500_000,
  maxHistory: 1,
};
