import { CcmlabError } from '../core/errors';
import { isNetbiosName, NETBIOS_RULE } from '../core/netbios';

/**
 * The fleet's computer names from a pattern: `{n}` is the client's number, `{n:05}` the
 * number zero-padded to 5 digits (`LAB-{n:05}` → LAB-00001). Names are NetBIOS names
 * (upper-case, at most 15 characters), checked for every number the fleet will use before
 * any client is made.
 */

export interface NamePattern {
  text: string;
  prefix: string;
  suffix: string;
  /** Zero-padding width; 0: none. */
  width: number;
}

export const DEFAULT_NAME_PATTERN = 'FLEET{n:05}';

const PLACEHOLDER = /\{n(?::0([1-9]))?\}/g;

function refuse(text: string, why: string): never {
  throw new CcmlabError(
    'CCMLAB_E_BAD_OPTION',
    `--name-pattern '${text}' ${why}; write it like 'LAB-{n:05}' ({n} the client's number, {n:05} zero-padded to 5 digits)`,
  );
}

export function parseNamePattern(text: string): NamePattern {
  const found = [...text.matchAll(PLACEHOLDER)];
  if (found.length !== 1)
    refuse(text, found.length === 0 ? 'has no {n} or {n:0W} for the client number' : 'has more than one {n}');
  const [match] = found;
  const pattern = {
    text,
    prefix: text.slice(0, match.index),
    suffix: text.slice((match.index ?? 0) + match[0].length),
    width: Number(match[1] ?? 0),
  };
  if (/[{}]/.test(pattern.prefix + pattern.suffix)) refuse(text, 'has a brace outside its {n}');
  return pattern;
}

export function nameAt(pattern: NamePattern, n: number): string {
  return `${pattern.prefix}${String(n).padStart(pattern.width, '0')}${pattern.suffix}`.toUpperCase();
}

/** Refuses a pattern that makes a name that is not a NetBIOS name for some number from 1 to `count`. */
export function checkNames(pattern: NamePattern, count: number): void {
  // Names differ only in their digits, and the longest is that of the largest number.
  for (const n of new Set([1, count])) {
    const name = nameAt(pattern, n);
    if (!isNetbiosName(name))
      refuse(pattern.text, `makes '${name}' for client ${n}, which is not a NetBIOS name (${NETBIOS_RULE})`);
  }
}
