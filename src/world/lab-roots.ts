import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CcmlabError } from '../core/errors';
import { writeFileAtomic } from '../store/atomic-file';
import { removeFile } from '../store/file-writes';
import { readBoundedText, type FileRole } from '../store/files';
import type { Lab } from './lab';

const LAB_FILE: FileRole = { label: 'lab file', code: 'CCMLAB_E_LAB_CORRUPT', fix: "remove it with 'ccmlab lab trust remove NAME'" };

/**
 * The lab's trusted roots (the role a GPO-deployed root certificate plays): PEM files in
 * `<lab>/trusted-roots/`. `site init` places the site's root here; every client in the lab
 * trusts what is here, and a lab drops a root to reproduce an untrusted CMG.
 */

const MAX_ROOT_BYTES = 64 * 1024;
const ROOT_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

export interface TrustedRoot {
  name: string;
  subject: string;
  thumbprint: string;
  notAfter: string;
  file: string;
}

function rootsDir(lab: Lab): string {
  return path.join(lab.root, 'trusted-roots');
}

function checkName(name: string): string {
  if (!ROOT_NAME.test(name)) throw new CcmlabError('CCMLAB_E_BAD_OPTION', `'${name}' is not a root name: letters, digits, '_', '.' and '-', up to 64`);
  return name;
}

export function trustRoot(lab: Lab, name: string, pem: string): TrustedRoot {
  let cert: crypto.X509Certificate;
  try {
    cert = new crypto.X509Certificate(pem);
  } catch (error) {
    throw new CcmlabError('CCMLAB_E_BAD_OPTION', `the root to trust is not a PEM certificate (${(error as Error).message})`);
  }
  const file = path.join(rootsDir(lab), `${checkName(name)}.pem`);
  writeFileAtomic(file, cert.toString());
  return describe(name, file, cert);
}

/** Removes a root; false when the lab did not trust it. */
export function distrustRoot(lab: Lab, name: string): boolean {
  const file = path.join(rootsDir(lab), `${checkName(name)}.pem`);
  return removeFile(file, LAB_FILE);
}

function describe(name: string, file: string, cert: crypto.X509Certificate): TrustedRoot {
  return { name, subject: cert.subject, thumbprint: cert.fingerprint.replace(/:/g, ''), notAfter: new Date(cert.validTo).toISOString(), file: path.resolve(file) };
}

export function listRoots(lab: Lab): TrustedRoot[] {
  const dir = rootsDir(lab);
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.pem'))
    .sort()
    .map((f) => {
      const file = path.join(dir, f);
      try {
        return describe(f.slice(0, -4), file, new crypto.X509Certificate(readBoundedText(file, MAX_ROOT_BYTES, LAB_FILE)));
      } catch (error) {
        throw new CcmlabError('CCMLAB_E_LAB_CORRUPT', `the lab's trusted root ${file} cannot be read (${(error as Error).message}); remove it with 'ccmlab lab trust remove ${f.slice(0, -4)}'`);
      }
    });
}

/** The PEM of every root the lab trusts. */
export function labRootsPem(lab: Lab): string[] {
  return listRoots(lab).map((r) => readBoundedText(r.file, MAX_ROOT_BYTES, LAB_FILE));
}
