import type * as FastXmlParser from 'fast-xml-parser';
import { onFirstUse } from '../core/on-first-use';

/**
 * XML in, bounded and without a DTD: any DOCTYPE or ENTITY declaration is refused before
 * parsing, entities are not processed, and values stay strings.
 */

export type XmlNode = { [name: string]: XmlValue };
export type XmlValue = string | XmlNode | XmlValue[];

export type XmlResult = { ok: true; doc: XmlNode } | { ok: false; defect: string };

/**
 * The parsers, made at the first parse: a module that only builds or reads names of XML does
 * not load fast-xml-parser. The second drops namespace prefixes from names (`D:href` is
 * `href`): for documents whose prefixes vary by sender (WebDAV).
 */
const xml = onFirstUse(() => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded at the first parse, not at start
  const { XMLParser, XMLValidator } = require('fast-xml-parser') as typeof FastXmlParser;
  const options = {
    ignoreAttributes: false,
    attributeNamePrefix: '@_',
    processEntities: false,
    parseTagValue: false,
    parseAttributeValue: false,
    trimValues: false,
    allowBooleanAttributes: false,
  };
  return {
    parser: new XMLParser(options),
    prefixFreeParser: new XMLParser({ ...options, removeNSPrefix: true }),
    validator: XMLValidator,
  };
});

export function parseXml(
  text: string,
  what: string,
  maxLength: number,
  options: { stripPrefixes?: boolean } = {},
): XmlResult {
  if (text.length > maxLength)
    return { ok: false, defect: `${what} is ${text.length} characters, more than the ${maxLength} allowed` };
  if (/<!DOCTYPE|<!ENTITY/i.test(text))
    return { ok: false, defect: `${what} declares a DOCTYPE or ENTITY, which is refused` };
  const { parser, prefixFreeParser, validator } = xml();
  const valid = validator.validate(text);
  if (valid !== true)
    return { ok: false, defect: `${what} is not well-formed XML (${valid.err.msg} at line ${valid.err.line})` };
  return { ok: true, doc: (options.stripPrefixes ? prefixFreeParser : parser).parse(text) as XmlNode };
}

export function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** A child element that must be an element (not text, not repeated). */
export function child(node: XmlValue | undefined, name: string): XmlNode | undefined {
  if (node === undefined || typeof node === 'string' || Array.isArray(node)) return undefined;
  const value = node[name];
  if (value === undefined || Array.isArray(value)) return undefined;
  return typeof value === 'string' ? { '#text': value } : value;
}

/** Children of that name, as a list whether there were one or several. */
export function children(node: XmlNode | undefined, name: string): XmlNode[] {
  const value = node?.[name];
  if (value === undefined) return [];
  const list = Array.isArray(value) ? value : [value];
  return list.map((v) => (typeof v === 'string' ? { '#text': v } : (v as XmlNode)));
}

export function attribute(node: XmlNode | undefined, name: string): string | undefined {
  const value = node?.[`@_${name}`];
  return typeof value === 'string' ? value : undefined;
}

export function text(node: XmlNode | undefined): string | undefined {
  const value = node?.['#text'];
  return typeof value === 'string' ? value : undefined;
}
