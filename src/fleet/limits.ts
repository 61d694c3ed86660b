/** How large a fleet may be: what `--count` accepts and how far the journal numbers clients. */
export const MAX_CLIENTS = 100_000;
