import * as fs from 'node:fs';
import * as path from 'node:path';
import { CcmlabError } from '../core/errors';
import { printable } from '../core/text';
import { writeFileAtomic } from '../store/atomic-file';
import { readBoundedText, type FileRole } from '../store/files';
import type { Lab } from './lab';

/**
 * The lab's firewall: `HOST:PORT` endpoints that clients in the lab cannot reach (connection
 * refused), kept in `<lab>/firewall.json`. It plays the part of the network between an
 * internet client and the site: a CRL published only on the intranet, a CMG behind a closed
 * port. The site keeps running; only the clients' connections are refused.
 */

const FIREWALL_FILE = 'firewall.json';
const MAX_FIREWALL_BYTES = 64 * 1024;
const MAX_RULES = 256;
const ENDPOINT = /^([A-Za-z0-9](?:[A-Za-z0-9.-]{0,253}[A-Za-z0-9])?):(\d{1,5}|\*)$/;
const LAB_FILE: FileRole = {
  label: 'lab file',
  code: 'CCMLAB_E_LAB_CORRUPT',
  fix: "remove it to open every endpoint ('ccmlab lab firewall list' shows what it held)",
};

function firewallFile(lab: Lab): string {
  return path.join(lab.root, FIREWALL_FILE);
}

/** `HOST:PORT` or `HOST:*`, the host lower-cased; a bad form is a usage error naming the right one. */
export function parseEndpoint(text: string): string {
  const m = ENDPOINT.exec(text);
  const port = m && m[2] !== '*' ? Number(m[2]) : 0;
  if (!m || (m[2] !== '*' && (port < 1 || port > 65535))) {
    throw new CcmlabError(
      'CCMLAB_E_BAD_OPTION',
      `'${printable(text)}' is not an endpoint: write HOST:PORT (mp01.lab.test:80) or HOST:* for every port`,
    );
  }
  return `${m[1].toLowerCase()}:${m[2]}`;
}

export function blockedEndpoints(lab: Lab): string[] {
  const file = firewallFile(lab);
  if (!fs.existsSync(file)) return [];
  try {
    const parsed = JSON.parse(readBoundedText(file, MAX_FIREWALL_BYTES, LAB_FILE)) as { blocked?: unknown };
    if (!Array.isArray(parsed.blocked) || parsed.blocked.length > MAX_RULES)
      throw new Error(`it has no "blocked" list of up to ${MAX_RULES} endpoints`);
    return parsed.blocked.map((e) => parseEndpoint(String(e)));
  } catch (error) {
    throw new CcmlabError(
      'CCMLAB_E_LAB_CORRUPT',
      `the lab's firewall ${file} cannot be read (${(error as Error).message}); remove it to open every endpoint`,
    );
  }
}

function save(lab: Lab, blocked: string[]): void {
  writeFileAtomic(firewallFile(lab), `${JSON.stringify({ blocked }, null, 2)}\n`);
}

/** Returns false when the endpoint was blocked already. */
export function blockEndpoint(lab: Lab, endpoint: string): boolean {
  const rule = parseEndpoint(endpoint);
  const blocked = blockedEndpoints(lab);
  if (blocked.includes(rule)) return false;
  if (blocked.length >= MAX_RULES)
    throw new CcmlabError(
      'CCMLAB_E_BAD_OPTION',
      `the lab's firewall holds ${MAX_RULES} rules already; unblock some first`,
    );
  save(lab, [...blocked, rule]);
  return true;
}

/** Returns false when the endpoint was not blocked. */
export function unblockEndpoint(lab: Lab, endpoint: string): boolean {
  const rule = parseEndpoint(endpoint);
  const blocked = blockedEndpoints(lab);
  if (!blocked.includes(rule)) return false;
  save(
    lab,
    blocked.filter((b) => b !== rule),
  );
  return true;
}

/** Whether a connection to host:port is refused by these rules. */
export function isBlocked(blocked: readonly string[], host: string, port: number): boolean {
  const name = host.toLowerCase();
  return blocked.includes(`${name}:${port}`) || blocked.includes(`${name}:*`);
}
