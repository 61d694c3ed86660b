/**
 * Host names as typed on a command line, checked before `new URL` sees them: WHATWG URL
 * maps full-width letters to ASCII and accepts much that DNS does not, so the text the
 * admin wrote is what must be a host name.
 */

const MAX_NAME = 253;
const MAX_LABEL = 63;
const ALLOWED = /^[A-Za-z0-9_-]$/;

function describeCharacter(c: string): string {
  const code = `U+${(c.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}`;
  return /^[\x21-\x7e]$/.test(c) ? `'${c}' (${code})` : code;
}

/**
 * Why `host` is not a DNS host name (or IP literal), or undefined if it is: at most 253
 * characters, labels of 1 to 63, each of letters, digits, '-' and '_'. `[…]` IPv6 literals pass.
 */
export function hostNameDefect(host: string): string | undefined {
  if (/^\[[0-9A-Fa-f:.]+\]$/.test(host)) return undefined;
  const name = host.endsWith('.') ? host.slice(0, -1) : host;
  if (name === '') return 'is empty';
  if (name.length > MAX_NAME)
    return `is ${name.length} characters long, more than the ${MAX_NAME} a host name may have`;
  for (const label of name.split('.')) {
    if (label === '') return 'has an empty label (two dots in a row, or a leading dot)';
    if (label.length > MAX_LABEL)
      return `has a label of ${label.length} characters, more than the ${MAX_LABEL} allowed`;
    const bad = [...label].find((c) => !ALLOWED.test(c));
    if (bad !== undefined)
      return `has ${describeCharacter(bad)}; a host name is ASCII letters, digits, '-' and '_' between dots`;
  }
  return undefined;
}
