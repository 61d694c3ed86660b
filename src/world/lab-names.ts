import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseConnectTo, type ConnectTo } from '../core/connect-to';
import { CcmlabError } from '../core/errors';
import { writeFileAtomic } from '../store/atomic-file';
import { readBoundedText, type FileRole } from '../store/files';
import type { Lab } from './lab';

const LAB_FILE: FileRole = {
  label: 'lab file',
  code: 'CCMLAB_E_LAB_CORRUPT',
  fix: "remove it and restart the site ('ccmlab site start') to publish them again",
};

/**
 * Lab names (the role DNS and a hosts file play): `<lab>/hosts.json` maps `NAME:PORT` to
 * the loopback address and port that serve it. A running site publishes its listeners
 * under their lab names; a client in the lab connects through them as through any
 * resolver, with TLS still checking the name it asked for.
 */

const HOSTS_FILE = 'hosts.json';
const MAX_HOSTS_BYTES = 256 * 1024;

function hostsFile(lab: Lab): string {
  return path.join(lab.root, HOSTS_FILE);
}

function readEntries(lab: Lab): Record<string, string> {
  const file = hostsFile(lab);
  if (!fs.existsSync(file)) return {};
  try {
    const parsed = JSON.parse(readBoundedText(file, MAX_HOSTS_BYTES, LAB_FILE)) as { names?: unknown };
    if (parsed.names === null || typeof parsed.names !== 'object' || Array.isArray(parsed.names))
      throw new Error('it has no "names" object');
    return parsed.names as Record<string, string>;
  } catch (error) {
    throw new CcmlabError(
      'CCMLAB_E_LAB_CORRUPT',
      `the lab's names ${file} cannot be read (${(error as Error).message}); remove it and restart the site ('ccmlab site start') to publish them again`,
    );
  }
}

/** Adds or replaces names: `{"CONTOSO.CLOUDAPP.NET:443": "127.0.0.1:40443"}`. Names compare case-insensitively. */
export function publishNames(lab: Lab, names: Record<string, string>): void {
  const entries = readEntries(lab);
  for (const [name, target] of Object.entries(names)) {
    for (const key of Object.keys(entries)) if (key.toLowerCase() === name.toLowerCase()) delete entries[key];
    entries[name] = target;
  }
  writeFileAtomic(hostsFile(lab), `${JSON.stringify({ names: entries }, null, 2)}\n`);
}

/** The lab's names as connection redirections, in curl's --connect-to form. */
export function labNames(lab: Lab): ConnectTo[] {
  return Object.entries(readEntries(lab)).map(([name, target]) => parseConnectTo(`${name}:${target}`));
}
