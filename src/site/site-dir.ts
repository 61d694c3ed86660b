import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import type { Clock } from '../core/clock';
import { CcmlabError } from '../core/errors';
import { newGuid } from '../core/guid';
import {
  certificateFacts,
  generateRsaKeyPair,
  issueCertificate,
  x5tOf,
  type CertificateFacts,
  type CertificateRequest,
  type IssuedCertificate,
  type KeyPairPem,
} from '../pki/certificates';
import { PRIVATE_DIR_MODE, PUBLIC_FILE_MODE, SECRET_FILE_MODE, writeFileAtomic } from '../store/atomic-file';
import { noteDirectoryChanged } from '../store/directory-changes';
import { removeTree, renameEntry } from '../store/file-writes';
import { makeDirectory, readBoundedText } from '../store/files';
import { openSiteDb, type SiteDb } from './site-db';
import type { ContentSize } from './client-items';
import { buildClientSource, CLIENT_DIR } from './client-source';
import type { TokenSigner, TokenVerifier } from './token-service';

/**
 * A site lives in one directory: `site.json` (hierarchy, names, role ID), `pki/` (the
 * site's certificates and keys), `site.db` (SQLite) and `Client/` (the client source, as
 * client-source.ts builds it). The token tool and the console
 * commands work on it directly, as the real ones run on the site server.
 *
 * A certificate the site may renew (token signing, MP role SSL, CMG) is kept with its key
 * in one file, `pki/<name>.pem` (0600), so that a renewal replaces both at once: no crash
 * can leave a certificate beside another certificate's key. The root, never renewed, keeps
 * its certificate apart (`sms-issuing.pem`, the file clients are given to trust) from its
 * key (`sms-issuing.key`). A pair that does not match is refused wherever it is read.
 */

export const SITE_FILE = 'site.json';
export const DB_FILE = 'site.db';
// 2: renewable certificates kept with their keys in one file.
const SITE_SCHEMA = 2;

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
  /** Loopback ports chosen at init and reused by every `site start`, so installed clients keep their addresses. */
  ports: SitePorts;
  /** Where the MP publishes the root's CRL (in the MP's certificates and the CMG's), or null: no revocation checking. */
  crlDistributionPoint: string | null;
}

export interface SitePorts {
  mp: number;
  mpHttps: number;
  cmg: number;
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
  /** Ports to record; those not given are chosen free on 127.0.0.1. */
  ports?: Partial<SitePorts>;
  /** Publish a CRL at the MP and name it in the MP's and the CMG's certificates. */
  crlDistributionPoint?: boolean;
  /** Key pairs made beforehand (the bench's), used before any is generated. */
  keys?: readonly KeyPairPem[];
  /** Sizes of the client source's generated files (default small). */
  contentSize?: ContentSize;
}

/** The root's CRL, as the MP serves it over HTTP. */
export const CRL_PATH = '/CRL/sms-issuing.crl';

export const DEFAULT_ROLE_ID = '72057594037927941';
const RESERVED_SITE_CODES = new Set(['AUX', 'CON', 'NUL', 'PRN', 'SMS']);
const HOST_NAME =
  /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;
const SERVER_AUTH = '1.3.6.1.5.5.7.3.1';
const DAY_MS = 86_400_000;

export function checkSiteCode(code: string): string {
  const upper = code.toUpperCase();
  if (!/^[A-Z0-9]{3}$/.test(upper) || RESERVED_SITE_CODES.has(upper)) {
    throw new CcmlabError(
      'CCMLAB_E_BAD_OPTION',
      `--site-code '${code}' is not a site code: 3 letters or digits, not AUX, CON, NUL, PRN or SMS`,
    );
  }
  return upper;
}

export function checkHostName(name: string, option: string): string {
  if (!HOST_NAME.test(name))
    throw new CcmlabError(
      'CCMLAB_E_BAD_OPTION',
      `${option} '${name}' is not a DNS host name (letters, digits, '-' and '.')`,
    );
  return name;
}

export function checkRoleId(id: string): string {
  if (!/^\d{1,20}$/.test(id) || BigInt(id) === 0n || BigInt(id) > 0xffffffffffffffffn) {
    throw new CcmlabError(
      'CCMLAB_E_BAD_OPTION',
      `--role-id '${id}' is not an MP role ID: a positive decimal number below 2^64, e.g. ${DEFAULT_ROLE_ID}`,
    );
  }
  return BigInt(id).toString();
}

export const PKI_DIR = 'pki';

/** Where a credential lives: the root in two files, every renewable one in a single file. */
export function pkiPaths(dir: string, name: SiteCertificateName): { certificate: string; key: string } {
  const certificate = path.join(dir, PKI_DIR, `${name}.pem`);
  return { certificate, key: name === 'sms-issuing' ? path.join(dir, PKI_DIR, `${name}.key`) : certificate };
}

/** Every file of the site's PKI directory, by base name. */
export function pkiFileNames(): string[] {
  return [
    ...new Set(
      SITE_CERTIFICATES.flatMap(({ name }) => Object.values(pkiPaths('', name)).map((file) => path.basename(file))),
    ),
  ];
}

const MAX_PEM_BYTES = 64 * 1024;
const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----\r?\n?/;
const PEM_PRIVATE_KEY = /-----BEGIN (?:RSA )?PRIVATE KEY-----[\s\S]+?-----END (?:RSA )?PRIVATE KEY-----\r?\n?/;

/**
 * Lab certificates are valid from a year before the site's clock to ten years after,
 * so a lab may walk its clock back and forth (--now) without breaking TLS.
 */
function validity(clock: Clock): { notBefore: Date; notAfter: Date } {
  const now = clock.now().getTime();
  return { notBefore: new Date(now - 365 * DAY_MS), notAfter: new Date(now + 3650 * DAY_MS) };
}

export type RenewableCertificate = Exclude<SiteCertificateName, 'sms-issuing'>;

/** What the root issues for each renewable certificate, at init and at every renewal. */
function certificateRequest(
  name: RenewableCertificate,
  config: SiteConfig,
  clock: Clock,
  root: { certificatePem: string; privateKeyPem: string },
): CertificateRequest {
  if (name === 'token-signing')
    return {
      commonName: 'SMS Token Signing Certificate',
      ...validity(clock),
      keyUsage: { digitalSignature: true },
      issuer: root,
    };
  const host = name === 'cmg' ? config.cmgName : config.mpName;
  return {
    commonName: host,
    dnsNames: [...new Set([host, 'localhost'])],
    ipAddresses: ['127.0.0.1'],
    ...validity(clock),
    keyUsage: { digitalSignature: true, keyEncipherment: true },
    extendedKeyUsage: [SERVER_AUTH],
    ...(config.crlDistributionPoint ? { crlDistributionPoints: [config.crlDistributionPoint] } : {}),
    issuer: root,
  };
}

const RENEWABLE: readonly RenewableCertificate[] = ['token-signing', 'role-ssl', 'cmg'];

/** The site's four key pairs (root, token signing, MP role SSL, CMG): made here unless given. */
const SITE_KEY_PAIRS = 4;

async function createPki(
  dir: string,
  config: SiteConfig,
  clock: Clock,
  given: readonly KeyPairPem[] = [],
): Promise<void> {
  const keys = await Promise.all(Array.from({ length: SITE_KEY_PAIRS }, (_, i) => given[i] ?? generateRsaKeyPair()));
  const root = await issueCertificate(
    {
      commonName: 'SMS Issuing',
      ...validity(clock),
      isCa: true,
      keyUsage: { keyCertSign: true, cRLSign: true, digitalSignature: true },
    },
    keys[0],
  );
  writeCertificate(dir, 'sms-issuing', root);
  for (const [i, name] of RENEWABLE.entries())
    writeCertificate(dir, name, await issueCertificate(certificateRequest(name, config, clock, root), keys[i + 1]));
}

/** `site certs renew`: a new key and certificate from the root, replacing the old pair in one atomic write. */
export async function renewSiteCertificate(
  site: Site,
  name: RenewableCertificate,
  clock: Clock,
): Promise<{ previous: string; current: string }> {
  const previous = site.certificate(name).thumbprint;
  const root = {
    certificatePem: site.certificatePem('sms-issuing'),
    privateKeyPem: site.privateKey('sms-issuing').export({ type: 'pkcs8', format: 'pem' }).toString(),
  };
  writeCertificate(site.dir, name, await issueCertificate(certificateRequest(name, site.config, clock, root)));
  return { previous, current: site.certificate(name).thumbprint };
}

/** One atomic write for a renewable credential (certificate and key together); two for the root at init. */
export function writeCertificate(dir: string, name: SiteCertificateName, cert: IssuedCertificate): void {
  const files = pkiPaths(dir, name);
  if (files.key === files.certificate) {
    writeFileAtomic(
      files.certificate,
      `${cert.certificatePem.trimEnd()}\n${cert.privateKeyPem.trimEnd()}\n`,
      SECRET_FILE_MODE,
      PRIVATE_DIR_MODE,
    );
  } else {
    writeFileAtomic(files.key, cert.privateKeyPem, SECRET_FILE_MODE, PRIVATE_DIR_MODE);
    writeFileAtomic(files.certificate, cert.certificatePem, PUBLIC_FILE_MODE, PRIVATE_DIR_MODE);
  }
  noteDirectoryChanged(path.dirname(files.certificate));
}

/** Free loopback ports for those not given: each held open until all are chosen, so none is picked twice. */
async function choosePorts(given: Partial<SitePorts>): Promise<SitePorts> {
  const servers: net.Server[] = [];
  const free = async (): Promise<number> => {
    const server = net.createServer();
    servers.push(server);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    return (server.address() as net.AddressInfo).port;
  };
  try {
    return {
      mp: given.mp ?? (await free()),
      mpHttps: given.mpHttps ?? (await free()),
      cmg: given.cmg ?? (await free()),
    };
  } finally {
    await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  }
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
    if (!fs.statSync(dir).isDirectory())
      throw new CcmlabError('CCMLAB_E_SITE_EXISTS', `${dir} is a file, not a directory; choose another --site-dir`);
    if (isSiteDir(dir) && !options.force) {
      throw new CcmlabError(
        'CCMLAB_E_SITE_EXISTS',
        `a site already exists in ${dir}; add --force to replace it (its tokens and clients are lost) or choose another --site-dir`,
      );
    }
    if (!isSiteDir(dir) && fs.readdirSync(dir).length > 0) {
      throw new CcmlabError(
        'CCMLAB_E_SITE_EXISTS',
        `${dir} is not empty and holds no site; choose an empty or new --site-dir`,
      );
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
    ports: await choosePorts(options.ports ?? {}),
    crlDistributionPoint: options.crlDistributionPoint === true ? `http://${options.mpName}${CRL_PATH}` : null,
  };
  const parent = {
    label: 'directory',
    code: 'CCMLAB_E_STATE_WRITE',
    fix: 'give a --site-dir whose parent can be created and written to',
  } as const;
  makeDirectory(path.dirname(dir), parent);
  const staging = `${dir}.init-${crypto.randomBytes(4).toString('hex')}`;
  makeDirectory(staging, parent, PRIVATE_DIR_MODE);
  try {
    await createPki(staging, config, options.clock, options.keys);
    openSiteDb(path.join(staging, DB_FILE), { create: true }).close();
    await buildClientSource(path.join(staging, CLIENT_DIR), options.contentSize ?? 'small', options.clock.now());
    writeFileAtomic(
      path.join(staging, SITE_FILE),
      `${JSON.stringify(config, null, 2)}\n`,
      PUBLIC_FILE_MODE,
      PRIVATE_DIR_MODE,
    );
    if (exists) {
      const old = `${dir}.old-${crypto.randomBytes(4).toString('hex')}`;
      renameEntry(dir, old, parent);
      renameEntry(staging, dir, parent);
      removeTree(old, parent);
    } else {
      renameEntry(staging, dir, parent);
    }
  } catch (error) {
    removeTree(staging, parent);
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
    const title = SITE_CERTIFICATES.find((c) => c.name === name)?.title ?? name;
    return { name, title, file, ...certificateFacts(this.certificatePem(name)) };
  }

  certificatePem(name: SiteCertificateName): string {
    return pemBlock(this.dir, name, 'certificate', PEM_CERTIFICATE);
  }

  /** The certificate's private key, refused if it is not the key of that certificate. */
  privateKey(name: SiteCertificateName): crypto.KeyObject {
    const credential = this.credential(name);
    return credential.key;
  }

  /** Certificate and key as one checked pair (the TLS listeners and the token service use these). */
  credential(name: SiteCertificateName): { certificatePem: string; keyPem: string; key: crypto.KeyObject } {
    const certificatePem = this.certificatePem(name);
    const keyPem = pemBlock(this.dir, name, 'key', PEM_PRIVATE_KEY);
    const file = pkiPaths(this.dir, name).key;
    let key: crypto.KeyObject;
    try {
      key = crypto.createPrivateKey(keyPem);
    } catch (error) {
      throw new CcmlabError(
        'CCMLAB_E_SITE_CORRUPT',
        `the site's ${name} key in ${file} cannot be read (${(error as Error).message}); ${repairAdvice(name)}`,
      );
    }
    const spki = (k: crypto.KeyObject) => crypto.createPublicKey(k).export({ type: 'spki', format: 'der' });
    if (
      !spki(key).equals(new crypto.X509Certificate(certificatePem).publicKey.export({ type: 'spki', format: 'der' }))
    ) {
      throw new CcmlabError(
        'CCMLAB_E_SITE_KEY_MISMATCH',
        `the site's ${name} certificate and the key beside it do not belong together (${file}); nothing signed with them would verify: ${repairAdvice(name)}`,
      );
    }
    return { certificatePem, keyPem, key };
  }

  /** The SMS Token Signing Certificate's key, named by its thumbprint (JWT x5t). */
  tokenSigner(): TokenSigner {
    const { certificatePem, key } = this.credential('token-signing');
    return { x5t: x5tOf(new crypto.X509Certificate(certificatePem).raw), privateKey: key };
  }

  /** The verifier checks the pair too: a site whose signer is broken must say so, not refuse every token. */
  tokenVerifier(): TokenVerifier {
    const { certificatePem } = this.credential('token-signing');
    return {
      x5t: x5tOf(new crypto.X509Certificate(certificatePem).raw),
      publicKey: crypto.createPublicKey(certificatePem),
    };
  }

  close(): void {
    this.database?.close();
    this.database = undefined;
  }
}

function repairAdvice(name: SiteCertificateName): string {
  return name === 'sms-issuing'
    ? "re-create the site with 'ccmlab site init --force'"
    : `replace them with 'ccmlab site certs renew ${name}'${name === 'token-signing' ? '' : " (or re-create the site with 'ccmlab site init --force')"}`;
}

/** One PEM block of a credential file, read with a size cap. */
function pemBlock(dir: string, name: SiteCertificateName, part: 'certificate' | 'key', pattern: RegExp): string {
  const paths = pkiPaths(dir, name);
  const file = part === 'certificate' ? paths.certificate : paths.key;
  const text = readBoundedText(file, MAX_PEM_BYTES, {
    label: `the site's ${name} ${part}`,
    code: 'CCMLAB_E_SITE_CORRUPT',
    fix: repairAdvice(name),
  });
  const block = pattern.exec(text)?.[0];
  if (!block) throw new CcmlabError('CCMLAB_E_SITE_CORRUPT', `${file} holds no PEM ${part}; ${repairAdvice(name)}`);
  return block;
}

export function openSite(dirOption: string): Site {
  const dir = path.resolve(dirOption);
  if (!fs.existsSync(dir)) {
    throw new CcmlabError(
      'CCMLAB_E_SITE_NOT_FOUND',
      `site directory ${dir} does not exist; create a site with 'ccmlab site init --site-dir ${dirOption}'`,
    );
  }
  const file = path.join(dir, SITE_FILE);
  if (!fs.existsSync(file)) {
    throw new CcmlabError(
      'CCMLAB_E_NOT_A_SITE',
      `${dir} is not a site directory (no ${SITE_FILE}); give the --site-dir of 'ccmlab site init'`,
    );
  }
  const text = readBoundedText(file, 64 * 1024, {
    label: 'site file',
    code: 'CCMLAB_E_SITE_CORRUPT',
    fix: "re-create the site with 'ccmlab site init --force'",
  });
  let config: SiteConfig;
  try {
    config = JSON.parse(text) as SiteConfig;
  } catch (error) {
    throw new CcmlabError(
      'CCMLAB_E_SITE_CORRUPT',
      `${file} is not valid JSON (${(error as Error).message}); re-create the site with 'ccmlab site init --force'`,
    );
  }
  if (typeof config !== 'object' || config === null) {
    throw new CcmlabError(
      'CCMLAB_E_SITE_CORRUPT',
      `${file} is not a site file this ccmlab knows; re-create the site with 'ccmlab site init --force'`,
    );
  }
  if (config.schemaVersion === 1) {
    throw new CcmlabError(
      'CCMLAB_E_SITE_CORRUPT',
      `${file} is a site made by an older ccmlab, which kept renewable certificates apart from their keys; re-create it with 'ccmlab site init --force'`,
    );
  }
  const ports = config.ports as Partial<SitePorts> | undefined;
  const validPort = (p: unknown) => Number.isInteger(p) && (p as number) > 0 && (p as number) < 65536;
  const crl = config.crlDistributionPoint as unknown;
  if (
    config.schemaVersion !== SITE_SCHEMA ||
    typeof config.siteCode !== 'string' ||
    typeof config.hierarchyId !== 'string' ||
    typeof config.roleId !== 'string' ||
    !validPort(ports?.mp) ||
    !validPort(ports?.mpHttps) ||
    !validPort(ports?.cmg) ||
    (crl !== null && typeof crl !== 'string')
  ) {
    throw new CcmlabError(
      'CCMLAB_E_SITE_CORRUPT',
      `${file} is not a site file this ccmlab knows (schema ${String(config.schemaVersion)}); re-create the site with 'ccmlab site init --force'`,
    );
  }
  return new Site(dir, config);
}
