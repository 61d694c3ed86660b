/**
 * The bulk token's lifetimes, apart from the token service and the site database so that the
 * token tool's usage and argument checks load neither.
 */

/** The token tool's default lifetime: 4320 minutes, 3 days. */
export const DEFAULT_LIFETIME_MINUTES = 4320;
/** The token tool's longest lifetime (the article: 10080 minutes, 7 days). */
export const MAX_BULK_LIFETIME_MINUTES = 10080;
