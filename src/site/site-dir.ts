import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Clock } from '../core/clock';
import { CcmlabError } from '../core/errors';
import { newGuid } from '../core/guid';
import { certificateFacts, generateRsaKeyPair, issueCertificate, x5tOf, type CertificateFacts, type IssuedCertificate } from '../pki/certificates';
import { SECRET_FILE_MODE, writeFileAtomic } from '../store/atomic-file';
import { makeDirectory, readBoundedText } from '../store/files';
import { openSiteDb, type SiteDb } from './site-db';
import type { TokenSigner, TokenVerifier } from './token-service';

/**
 * A site lives in one directory: `site.json` (hierarchy, names, role ID), `pki/` (the
 * site's certificates and keys) and `site.db` (SQLite). The token tool and the console
 * commands work on it directly, as the real ones run on the site server.
 */

export const SITE_FILE = 'site.json';
export const DB_FILE = 'site.db';
const SITE_SCHEMA = 1;

export interface SiteConfig {
  schemaVersion: number;
  siteCode: string;
  /** Lower-case GUID; tokens carry it upper-case as TenantId and lower-case in iss. */
  hierarchyId: string;
  mpName: string;
  cmgName: string;
  /** The MP's role ID, a decimal string: real ones exceed 2^53. */
  roleId: string;
  passive: boolean;
  createdAt: string;
}

export type SiteCertificateName = 'sms-issuing' | 'token-signing' | 'role-ssl' | 'cmg';

export const SITE_CERTIFICATES: ReadonlyArray<{ name: SiteCertificateName; title: string }> = [
  { name: 'sms-issuing', title: 'SMS Issuing' },
  { name: 'token-signing', title: 'SMS Token Signing Certificate' },
  { name: 'role-ssl', title: 'SMS Role SSL Certificate' },
  { name: 'cmg', title: 'Cloud Management Gateway server certificate' },
];

export interface InitOptions {
  dir: string;
  siteCode: string;
  mpName: string;
  cmgName: string;
  roleId: string;
  passive: boolean;
  force: boolean;
  clock: Clock;
}

export const DEFAULT_ROLE_ID = '72057594037927941';
const RESERVED_SITE_CODES = new Set(['AUX', 'CON', 'NUL', 'PRN', 'SMS']);
const HOST_NAME = /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;
const SERVER_AUTH = '1.3.6.1.5.5.7.3.1';
const DAY_MS = 86_400_000;

export function checkSiteCode(code: string): string {
  const upper = code.toUpperCase();
  if (!/^[A-Z0-9]{3}$/.test(upper) || RESERVED_SITE_CODES.has(upper)) {
    throw new CcmlabError('CCMLAB_E_BAD_OPTION', `--site-code '${code}' is not a site code: 3 letters or digits, not AUX, CON, NUL, PRN or SMS`);
  }
  return upper;
}

export function checkHostName(name: string, option: string): string {
  if (!HOST_NAME.test(name)) throw new CcmlabError('CCMLAB_E_BAD_OPTION', `${option} '${name}' is not a DNS host name (letters, digits, '-' and '.')`);
  return name;
}

export function checkRoleId(id: string): string {
  if (!/^\d{1,20}$/.test(id) || BigInt(id) === 0n || BigInt(id) > 0xffffffffffffffffn) {
    throw new CcmlabError('CCMLAB_E_BAD_OPTION', `--role-id '${id}' is not an MP role ID: a positive decimal number below 2^64, e.g. ${DEFAULT_ROLE_ID}`);
  }
  return BigInt(id).toString();
}

export function pkiPaths(dir: string, name: SiteCertificateName): { certificate: string; key: string } {
  return { certificate: path.join(dir, 'pki', `${name}.pem`), key: path.join(dir, 'pki', `${name}.key`) };
}

/**
 * Lab certificates are valid from a year before the site's clock to ten years after,
 * so a lab may walk its clock back and forth (--now) without breaking TLS.
 */
function validity(clock: Clock): { notBefore: Date; notAfter: Date } {
  const now = clock.now().getTime();
  return { notBefore: new Date(now - 365 * DAY_MS), notAfter: new Date(now + 3650 * DAY_MS) };
}

export function tokenSigningRequest(clock: Clock, root: { certificatePem: string; privateKeyPem: string }) {
  return { commonName: 'SMS Token Signing Certificate', ...validity(clock), keyUsage: { digitalSignature: true }, issuer: root };
}

async function createPki(dir: string, config: SiteConfig, clock: Clock): Promise<void> {
  const keys = await Promise.all([generateRsaKeyPair(), generateRsaKeyPair(), generateRsaKeyPair(), generateRsaKeyPair()]);
  const root = await issueCertificate({ commonName: 'SMS Issuing', ...validity(clock), isCa: true, keyUsage: { keyCertSign: true, cRLSign: true, digitalSignature: true } }, keys[0]);
  const serverCert = (name: string, pair: (typeof keys)[number]) =>
    issueCertificate(
      {
        commonName: name,
        dnsNames: [...new Set([name, 'localhost'])],
        ipAddresses: ['127.0.0.1'],
        ...validity(clock),
        keyUsage: { digitalSignature: true, keyEncipherment: true },
        extendedKeyUsage: [SERVER_AUTH],
        issuer: root,
      },
      pair,
    );
  const issued: Record<SiteCertificateName, IssuedCertificate> = {
    'sms-issuing': root,
    'token-signing': await issueCertificate(tokenSigningRequest(clock, root), keys[1]),
    'role-ssl': await serverCert(config.mpName, keys[2]),
    cmg: await serverCert(config.cmgName, keys[3]),
  };
  for (const { name } of SITE_CERTIFICATES) writeCertificate(dir, name, issued[name]);
}

export function writeCertificate(dir: string, name: SiteCertificateName, cert: IssuedCertificate): void {
  const files = pkiPaths(dir, name);
  writeFileAtomic(files.key, cert.privateKeyPem, SECRET_FILE_MODE);
  writeFileAtomic(files.certificate, cert.certificatePem);
}

function isSiteDir(dir: string): boolean {
  return fs.existsSync(path.join(dir, SITE_FILE));
}

/**
 * Builds the whole site in a fresh directory beside the target and renames it into
 * place, so a failed or interrupted init leaves no half-made site.
 */
export async function initSite(options: InitOptions): Promise<SiteConfig> {
  const dir = path.resolve(options.dir);
  const exists = fs.existsSync(dir);
  if (exists) {
    if (!fs.statSync(dir).isDirectory()) throw new CcmlabError('CCMLAB_E_SITE_EXISTS', `${dir} is a file, not a directory; choose another --site-dir`);
    if (isSiteDir(dir) && !options.force) {
      throw new CcmlabError('CCMLAB_E_SITE_EXISTS', `a site already exists in ${dir}; add --force to replace it (its tokens and clients are lost) or choose another --site-dir`);
    }
    if (!isSiteDir(dir) && fs.readdirSync(dir).length > 0) {
      throw new CcmlabError('CCMLAB_E_SITE_EXISTS', `${dir} is not empty and holds no site; choose an empty or new --site-dir`);
    }
  }
  const config: SiteConfig = {
    schemaVersion: SITE_SCHEMA,
    siteCode: checkSiteCode(options.siteCode),
    hierarchyId: newGuid(),
    mpName: checkHostName(options.mpName, '--mp-name'),
    cmgName: checkHostName(options.cmgName, '--cmg-name'),
    roleId: checkRoleId(options.roleId),
    passive: options.passive,
    createdAt: options.clock.now().toISOString(),
  };
  makeDirectory(path.dirname(dir), { label: 'directory', code: 'CCMLAB_E_STATE_WRITE', fix: 'give a --site-dir whose parent can be created and written to' });
  const staging = `${dir}.init-${crypto.randomBytes(4).toString('hex')}`;
  fs.mkdirSync(staging, { mode: 0o700 });
  try {
    await createPki(staging, config, options.clock);
    openSiteDb(path.join(staging, DB_FILE), { create: true }).close();
    writeFileAtomic(path.join(staging, SITE_FILE), `${JSON.stringify(config, null, 2)}\n`);
    if (exists) {
      const old = `${dir}.old-${crypto.randomBytes(4).toString('hex')}`;
      fs.renameSync(dir, old);
      fs.renameSync(staging, dir);
      fs.rmSync(old, { recursive: true, force: true });
    } else {
      fs.renameSync(staging, dir);
    }
  } catch (error) {
    fs.rmSync(staging, { recursive: true, force: true });
    throw error;
  }
  return config;
}

export interface SiteCertificate extends CertificateFacts {
  name: SiteCertificateName;
  title: string;
  file: string;
}

/** An opened site directory. The database is opened on first use and closed by close(). */
export class Site {
  readonly dir: string;
  readonly config: SiteConfig;
  private database: SiteDb | undefined;

  constructor(dir: string, config: SiteConfig) {
    this.dir = dir;
    this.config = config;
  }

  get db(): SiteDb {
    this.database ??= openSiteDb(path.join(this.dir, DB_FILE));
    return this.database;
  }

  certificate(name: SiteCertificateName): SiteCertificate {
    const file = pkiPaths(this.dir, name).certificate;
    let pem: string;
    try {
      pem = fs.readFileSync(file, 'utf8');
    } catch {
      throw new CcmlabError('CCMLAB_E_SITE_CORRUPT', `the site's ${name} certificate (${file}) is missing; re-create the site with 'ccmlab site init --force'`);
    }
    const title = SITE_CERTIFICATES.find((c) => c.name === name)?.title ?? name;
    return { name, title, file, ...certificateFacts(pem) };
  }

  certificatePem(name: SiteCertificateName): string {
    return fs.readFileSync(pkiPaths(this.dir, name).certificate, 'utf8');
  }

  privateKey(name: SiteCertificateName): crypto.KeyObject {
    const file = pkiPaths(this.dir, name).key;
    try {
      return crypto.createPrivateKey(fs.readFileSync(file, 'utf8'));
    } catch {
      throw new CcmlabError('CCMLAB_E_SITE_CORRUPT', `the site's ${name} key (${file}) is missing or unreadable; re-create the site with 'ccmlab site init --force'`);
    }
  }

  /** The SMS Token Signing Certificate's key, named by its thumbprint (JWT x5t). */
  tokenSigner(): TokenSigner {
    return { x5t: x5tOf(this.certificate('token-signing').der), privateKey: this.privateKey('token-signing') };
  }

  tokenVerifier(): TokenVerifier {
    const cert = this.certificate('token-signing');
    return { x5t: x5tOf(cert.der), publicKey: crypto.createPublicKey(this.certificatePem('token-signing')) };
  }

  close(): void {
    this.database?.close();
    this.database = undefined;
  }
}

export function openSite(dirOption: string): Site {
  const dir = path.resolve(dirOption);
  if (!fs.existsSync(dir)) {
    throw new CcmlabError('CCMLAB_E_SITE_NOT_FOUND', `site directory ${dir} does not exist; create a site with 'ccmlab site init --site-dir ${dirOption}'`);
  }
  const file = path.join(dir, SITE_FILE);
  if (!fs.existsSync(file)) {
    throw new CcmlabError('CCMLAB_E_NOT_A_SITE', `${dir} is not a site directory (no ${SITE_FILE}); give the --site-dir of 'ccmlab site init'`);
  }
  const text = readBoundedText(file, 64 * 1024, { label: 'site file', code: 'CCMLAB_E_SITE_CORRUPT', fix: "re-create the site with 'ccmlab site init --force'" });
  let config: SiteConfig;
  try {
    config = JSON.parse(text) as SiteConfig;
  } catch (error) {
    throw new CcmlabError('CCMLAB_E_SITE_CORRUPT', `${file} is not valid JSON (${(error as Error).message}); re-create the site with 'ccmlab site init --force'`);
  }
  if (typeof config !== 'object' || config === null || config.schemaVersion !== SITE_SCHEMA || typeof config.hierarchyId !== 'string' || typeof config.roleId !== 'string' || typeof config.siteCode !== 'string') {
    throw new CcmlabError('CCMLAB_E_SITE_CORRUPT', `${file} is not a site file this ccmlab knows (schema ${String((config as SiteConfig | null)?.schemaVersion)}); re-create the site with 'ccmlab site init --force'`);
  }
  return new Site(dir, config);
}

