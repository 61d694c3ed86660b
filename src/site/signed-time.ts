import { messageTime } from '../protocol/jwt';
/**
 * How far a time a client signs (its ClientToken, its registration's TimeStamp) may be from
 * the site's clock, which is the lab clock. What the product allows is not published: 15
 * minutes either way is ccmlab's choice. Outside it, what the client signed is stale or
 * post-dated, and refused: a message recorded once cannot be replayed later.
 */
export const SIGNED_TIME_WINDOW_MS = 15 * 60_000;

/** A distance beyond the window, rounded so that it never reads as within it. */
function distance(ms: number): string {
  const minutes = Math.ceil(ms / 60_000);
  if (minutes < 120) return `${minutes} minutes`;
  return minutes < 48 * 60 ? `${Math.floor(minutes / 60)} hours` : `${Math.floor(minutes / 1440)} days`;
}

/** Why `signed` is outside the window around the site's `now`, if it is; `what` names it ("the ClientToken time"). */
export function signedTimeDefect(what: string, signed: Date, now: Date): string | undefined {
  const apart = signed.getTime() - now.getTime();
  if (Math.abs(apart) <= SIGNED_TIME_WINDOW_MS) return undefined;
  const side = apart < 0 ? 'before' : 'after';
  return `${what} ${messageTime(signed.toISOString())} is ${distance(Math.abs(apart))} ${side} the site's clock (${messageTime(now.toISOString())}); ${SIGNED_TIME_WINDOW_MS / 60_000} minutes either way are allowed`;
}
