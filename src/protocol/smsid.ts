import * as crypto from 'node:crypto';
import { GUID_TEXT } from '../core/guid';

/**
 * The client ID (SMSID), as SMSCFG.ini's `SMS Unique Identifier=` and every message carry
 * it: `GUID:` and an upper-case GUID without braces. Made and compared in this one form.
 */

const SMSID_TEXT = new RegExp(`^(?:GUID:)?\\{?(${GUID_TEXT})\\}?$`, 'i');

export function newSmsid(): string {
  return `GUID:${crypto.randomUUID().toUpperCase()}`;
}

/** An SMSID as a person or a client may write it (any case, braces, `GUID:` or not), in canonical form. */
export function parseSmsid(text: string): string | undefined {
  const m = SMSID_TEXT.exec(text.trim());
  return m ? `GUID:${m[1].toUpperCase()}` : undefined;
}

export function isCanonicalSmsid(text: string): boolean {
  return parseSmsid(text) === text;
}
