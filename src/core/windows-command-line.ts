/**
 * Splits a command line the way Windows' CommandLineToArgvW does (used for the
 * `Install=` line of a ccmsetup /config file): white space separates arguments outside
 * double quotes; 2n backslashes before a quote give n backslashes and the quote toggles
 * quoting; 2n+1 give n backslashes and a literal quote; other backslashes are literal
 * (so "\\server\share" keeps its backslashes); "" inside quotes is a literal quote and
 * ends the quoted part.
 */
export function splitWindowsCommandLine(line: string): string[] {
  const args: string[] = [];
  let current = '';
  let inArgument = false;
  let quoted = false;
  let i = 0;
  while (i < line.length) {
    const ch = line[i];
    if (!quoted && (ch === ' ' || ch === '\t')) {
      if (inArgument) args.push(current);
      current = '';
      inArgument = false;
      i++;
      continue;
    }
    inArgument = true;
    if (ch === '\\') {
      let count = 0;
      while (line[i] === '\\') {
        count++;
        i++;
      }
      if (line[i] === '"') {
        current += '\\'.repeat(Math.floor(count / 2));
        if (count % 2 === 1) {
          current += '"';
          i++;
        }
      } else {
        current += '\\'.repeat(count);
      }
      continue;
    }
    if (ch === '"') {
      if (quoted && line[i + 1] === '"') {
        current += '"';
        quoted = false;
        i += 2;
        continue;
      }
      quoted = !quoted;
      i++;
      continue;
    }
    current += ch;
    i++;
  }
  if (inArgument) args.push(current);
  return args;
}

/** The reverse, for log lines: quote an argument only when it needs it. */
export function quoteWindowsArgument(arg: string): string {
  if (arg !== '' && !/[ \t"]/.test(arg)) return arg;
  let out = '"';
  let backslashes = 0;
  for (const ch of arg) {
    if (ch === '\\') {
      backslashes++;
      continue;
    }
    if (ch === '"') {
      out += '\\'.repeat(backslashes * 2 + 1) + '"';
    } else {
      out += '\\'.repeat(backslashes) + ch;
    }
    backslashes = 0;
  }
  return `${out}${'\\'.repeat(backslashes * 2)}"`;
}
