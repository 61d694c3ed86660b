/**
 * Secrets that must never be written where the user did not ask for them: a bulk
 * registration token is stored neither on the client nor in the site database, whatever
 * switch it was typed after (`/regtokn:`, `/regtoken <jwt>`, `REGTOKEN=`). Anything shaped
 * like a JWT (a base64url JSON header `eyJ…`, a dot, more base64url) is redacted wherever a
 * command line, an error or a log line is written.
 */

// `eyJ` is base64 of `{"`: every JWT header starts so. Standard base64 characters are
// included so that a token pasted through a converter is caught too. What is redacted is what
// /eyJ[A-Za-z0-9_\-+/=]{4,}\.[A-Za-z0-9_\-+/=.]*/g matches, found without that expression: it
// would read a long run of base64 again from every `eyJ` in it.
const BASE64 = new Uint8Array(128);
for (const c of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-+/=') BASE64[c.charCodeAt(0)] = 1;

/** Where the run of base64 characters (and dots, when `dots`) from `from` ends. */
function runEnd(text: string, from: number, dots: boolean): number {
  let i = from;
  for (; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (!(c < 128 && BASE64[c] === 1) && !(dots && c === 0x2e)) break;
  }
  return i;
}

export const REDACTED = '<redacted>';

export function redactTokens(text: string): string {
  if (!text.includes('eyJ')) return text;
  let [out, copied] = ['', 0];
  for (let at = text.indexOf('eyJ'); at >= 0;) {
    const headerEnd = runEnd(text, at + 3, false);
    if (headerEnd - at - 3 >= 4 && text[headerEnd] === '.') {
      const end = runEnd(text, headerEnd + 1, true);
      out += `${text.slice(copied, at)}${REDACTED}`;
      copied = end;
      at = text.indexOf('eyJ', end);
    } else {
      // Every later `eyJ` in this run ends where this one does, and fails the same way.
      at = text.indexOf('eyJ', headerEnd);
    }
  }
  return out + text.slice(copied);
}
