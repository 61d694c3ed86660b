import * as crypto from 'node:crypto';
import { CcmlabError } from './errors';

/** A GUID's hex digits and hyphens, any case: the one pattern every GUID and SMSID check builds on. */
export const GUID_TEXT = '[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}';
const GUID = new RegExp(`^\\{?(${GUID_TEXT})\\}?$`);

export function newGuid(): string {
  return crypto.randomUUID();
}

/** A GUID as the user typed it (any case, braces or not), in lower case; undefined if it is not one. */
export function normaliseGuid(text: string): string | undefined {
  const m = GUID.exec(text.trim());
  return m ? m[1].toLowerCase() : undefined;
}

export function requireGuid(text: string, what: string): string {
  const guid = normaliseGuid(text);
  if (!guid)
    throw new CcmlabError(
      'CCMLAB_E_BAD_GUID',
      `${what} '${text}' is not a GUID; write it like 3f2504e0-4f89-11d3-9a0c-0305e82c3301`,
    );
  return guid;
}
