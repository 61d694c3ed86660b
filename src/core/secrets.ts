/**
 * Secrets that must never be written where the user did not ask for them: a bulk
 * registration token is stored neither on the client nor in the site database, whatever
 * switch it was typed after (`/regtokn:`, `/regtoken <jwt>`, `REGTOKEN=`). Anything shaped
 * like a JWT (a base64url JSON header `eyJ…`, a dot, more base64url) is redacted wherever a
 * command line, an error or a log line is written.
 */

// `eyJ` is base64 of `{"`: every JWT header starts so. Standard base64 characters are
// included so that a token pasted through a converter is caught too.
const JWT_SHAPED = /eyJ[A-Za-z0-9_\-+/=]{4,}\.[A-Za-z0-9_\-+/=.]*/g;

export const REDACTED = '<redacted>';

export function redactTokens(text: string): string {
  return text.includes('eyJ') ? text.replace(JWT_SHAPED, REDACTED) : text;
}
