import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CcmlabError } from '../core/errors';
import { writeFileAtomic } from '../store/atomic-file';
import { removeFile } from '../store/file-writes';
import { readBoundedText, type FileRole } from '../store/files';
import type { Lab } from './lab';

const LAB_FILE: FileRole = {
  label: 'lab file',
  code: 'CCMLAB_E_LAB_CORRUPT',
  fix: "remove it with 'ccmlab lab trust remove NAME'",
};

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
  if (!ROOT_NAME.test(name))
    throw new CcmlabError(
      'CCMLAB_E_BAD_OPTION',
      `'${name}' is not a root name: letters, digits, '_', '.' and '-', up to 64`,
    );
  return name;
}

/** How many PEM blocks `text` holds (a linear scan for their BEGIN lines). */
function pemBlocks(text: string): number {
  let count = 0;
  for (let at = text.indexOf('-----BEGIN '); at >= 0; at = text.indexOf('-----BEGIN ', at + 1)) count++;
  return count;
}

/** The one certificate of a root file; a file holding anything more would make clients trust what the lab does not show. */
function oneCertificate(pem: string): crypto.X509Certificate {
  const blocks = pemBlocks(pem);
  if (blocks !== 1)
    throw new Error(
      blocks === 0
        ? 'it holds no PEM certificate'
        : `it holds ${blocks} PEM blocks, and a trusted root file holds one certificate`,
    );
  return new crypto.X509Certificate(pem);
}

export function trustRoot(lab: Lab, name: string, pem: string): TrustedRoot {
  let cert: crypto.X509Certificate;
  try {
    cert = oneCertificate(pem);
  } catch (error) {
    throw new CcmlabError(
      'CCMLAB_E_BAD_OPTION',
      `the root to trust is not one PEM certificate (${(error as Error).message}); give a file with one certificate, and add each root under its own name`,
    );
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

function describe(name: string, file: string, cert: crypto.X509Certificate): TrustedRoot & { pem: string } {
  return {
    name,
    subject: cert.subject,
    thumbprint: cert.fingerprint.replace(/:/g, ''),
    notAfter: new Date(cert.validTo).toISOString(),
    file: path.resolve(file),
    pem: cert.toString(),
  };
}

/** Every root the lab trusts, each read and checked once; a file that is not one certificate is an error naming it. */
function readRoots(lab: Lab): (TrustedRoot & { pem: string })[] {
  const dir = rootsDir(lab);
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.pem'))
    .sort()
    .map((f) => {
      const file = path.join(dir, f);
      try {
        return describe(f.slice(0, -4), file, oneCertificate(readBoundedText(file, MAX_ROOT_BYTES, LAB_FILE)));
      } catch (error) {
        throw new CcmlabError(
          'CCMLAB_E_LAB_CORRUPT',
          `the lab's trusted root ${file} cannot be used (${(error as Error).message}); remove it with 'ccmlab lab trust remove ${f.slice(0, -4)}'`,
        );
      }
    });
}

export function listRoots(lab: Lab): TrustedRoot[] {
  return readRoots(lab).map(({ pem: _pem, ...root }) => root);
}

/** The PEM of every root the lab trusts: the certificates `lab trust list` shows, and nothing else of their files. */
export function labRootsPem(lab: Lab): string[] {
  return readRoots(lab).map((r) => r.pem);
}
