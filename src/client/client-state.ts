import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CcmlabError } from '../core/errors';
import { decodeJwtPayload } from '../protocol/jwt';
import { privateKeyOf } from '../pki/certificates';
import type { LogSettings } from '../log/logger';
import { PRIVATE_DIR_MODE, SECRET_FILE_MODE } from '../store/atomic-file';
import { narrowDirectory, refuseLinksBelow, removeFile, removeTree } from '../store/file-writes';
import { makeDirectory, readBoundedText, removeEmptyDirs, type FileRole } from '../store/files';
import { livePidIn, releasedAtExit, takePidLock } from '../store/pid-lock';
import { durableFiles, type StateStore } from '../store/state-store';

/**
 * The client's state, as files in the client dir: what Windows keeps in SMSCFG.ini, the
 * SMS certificate store, the registry and WMI. client.json is written last, so a client
 * whose client.json is missing was never installed.
 */

export interface TokenInfo {
  issuedAt: string;
  expiresAt: string;
  /** When the agent renews it: 30 days after issue. */
  renewalDue: string;
  jti: string;
}

export interface ClientConfig {
  schemaVersion: 1;
  smsid: string;
  netbios: string;
  fqdn: string;
  siteCode: string;
  /** The intranet MP, if the client has one. */
  assignedMp: string | null;
  /** The internet MP: https://<CCMHOSTNAME>. */
  internetMp: string | null;
  /** The CMG as the client addresses it: https://HOST[:PORT]/CCM_Proxy_MutualAuth/<role ID>. */
  cmg: { url: string; roleId: string } | null;
  location: 'intranet' | 'internet';
  registeredBy: 'intranet' | 'bulk-token';
  /** unassigned: site assignment failed (the MP serves another site); the client is installed but unmanaged. */
  registration: 'registered' | 'pending' | 'unassigned';
  /** The install command line, /regtoken redacted. */
  commandLine: string;
  token: TokenInfo | null;
  /** The MP's public key from MPKEYINFORMATION (hex SPKI), dropped by RESETKEYINFORMATION=TRUE. */
  mpKeyInformation: string | null;
  connectTo: string[];
  /** false when installed with /NoCRLCheck (absent in older client.json: checked). */
  crlCheck?: boolean;
  logDir: string;
  logSettings: LogSettings;
  installedAt: string;
  updatedAt: string;
}

export interface KeyedCertificate {
  certificatePem: string;
  privateKeyPem: string;
}

export interface ClientState {
  config: ClientConfig;
  signing: KeyedCertificate;
  encryption: KeyedCertificate;
  /** PEM of the root the client trusts (the machine's trusted root store). */
  trustedRoot: string | null;
  token: string | null;
}

export const CLIENT_FILES = {
  config: 'client.json',
  smscfg: 'smscfg.ini',
  token: 'token.jwt',
  signingCert: 'certs/signing.pem',
  signingKey: 'certs/signing.key',
  encryptionCert: 'certs/encryption.pem',
  encryptionKey: 'certs/encryption.key',
  trustedRoot: 'certs/trusted-root.pem',
} as const;

export const TOKEN_RENEWAL_DAYS = 30;
const DAY_MS = 86_400_000;

export function tokenInfo(token: string): TokenInfo {
  const claims = decodeJwtPayload(token) as { iat: number; exp: number; jti: string } | undefined;
  if (!claims)
    throw new CcmlabError(
      'CCMCLIENT_E_CORRUPT_STATE',
      "the client's CCM token is not a well-formed token; reinstall the client with ccmsetup /forceinstall",
    );
  return {
    issuedAt: new Date(claims.iat * 1000).toISOString(),
    expiresAt: new Date(claims.exp * 1000).toISOString(),
    renewalDue: new Date(claims.iat * 1000 + TOKEN_RENEWAL_DAYS * DAY_MS).toISOString(),
    jti: claims.jti,
  };
}

export type TokenState = 'valid' | 'renewal-due' | 'expired';

/** What to do about an expired CCM token, for this client: only one that knows an intranet MP can roam to it. */
export function expiredTokenAdvice(config: Pick<ClientState['config'], 'assignedMp'>): string {
  const reinstall = 'reinstall with ccmsetup /regtoken:<new bulk token>';
  return config.assignedMp
    ? `reach its intranet MP ('ccmlab client roam --intranet') or ${reinstall}`
    : `${reinstall} (it knows no intranet MP to get a new token from)`;
}

/** Where the unique token stands at `now`, as the agent judges it: renewal due from day 30, expired after day 90. */
export function tokenState(token: TokenInfo, now: Date): TokenState {
  if (now.getTime() > Date.parse(token.expiresAt)) return 'expired';
  return now.getTime() >= Date.parse(token.renewalDue) ? 'renewal-due' : 'valid';
}

/** What `ccmlab client status` reports: identity, site, MPs, token and its state at `now`, certificate thumbprints, where the client keeps its files. */
export function clientStatus(state: ClientState, clientDir: string, now: Date): Record<string, unknown> {
  const { config } = state;
  const thumbprint = (pem: string) => new crypto.X509Certificate(pem).fingerprint.replace(/:/g, '');
  return {
    smsid: config.smsid,
    netbios: config.netbios,
    siteCode: config.siteCode,
    registration: config.registration,
    assigned: config.registration !== 'unassigned',
    registeredBy: config.registeredBy,
    location: config.location,
    assignedMp: config.assignedMp,
    internetMp: config.internetMp,
    tokenIssuedAt: config.token?.issuedAt ?? null,
    tokenExpiresAt: config.token?.expiresAt ?? null,
    renewalDue: config.token?.renewalDue ?? null,
    tokenState: config.token ? tokenState(config.token, now) : null,
    signingThumbprint: thumbprint(state.signing.certificatePem),
    encryptionThumbprint: thumbprint(state.encryption.certificatePem),
    clientDir: path.resolve(clientDir),
    logDir: path.resolve(config.logDir),
  };
}

export function isInstalled(dir: string): boolean {
  return fs.existsSync(path.join(dir, CLIENT_FILES.config));
}

/** Every client state file is small: a JSON document, a PEM, a token. */
const MAX_STATE_FILE_BYTES = 256 * 1024;
const REINSTALL = 'reinstall the client with ccmsetup /forceinstall';
const CLIENT_DIR_ROLE: FileRole = {
  label: 'client directory',
  code: 'CCMLAB_E_STATE_WRITE',
  fix: 'give a --client-dir that can be created and written to',
};

function read(dir: string, file: string): string {
  return readBoundedText(path.join(dir, file), MAX_STATE_FILE_BYTES, {
    label: 'client state file',
    code: 'CCMCLIENT_E_CORRUPT_STATE',
    fix: REINSTALL,
  });
}

function corrupt(dir: string, file: string, defect: string): never {
  throw new CcmlabError(
    'CCMCLIENT_E_CORRUPT_STATE',
    `client state file ${path.join(dir, file)} ${defect}; ${REINSTALL}`,
  );
}

export function loadClient(dir: string): ClientState {
  if (!isInstalled(dir)) {
    throw new CcmlabError(
      'CCMCLIENT_E_NO_STATE',
      `no client is installed in ${path.resolve(dir)}; install one with ccmsetup (or give --client-dir)`,
    );
  }
  const config = parseConfig(dir, read(dir, CLIENT_FILES.config));
  const smscfg = /^SMS Unique Identifier=(.*)$/m.exec(read(dir, CLIENT_FILES.smscfg))?.[1]?.trim();
  if (smscfg !== config.smsid)
    corrupt(
      dir,
      CLIENT_FILES.smscfg,
      `does not hold this client's SMSID (it says ${smscfg ?? 'nothing'}, client.json ${config.smsid})`,
    );
  const optional = (file: string) => (fs.existsSync(path.join(dir, file)) ? read(dir, file) : null);
  const token = optional(CLIENT_FILES.token)?.trim() ?? null;
  if (token !== null) checkToken(dir, token, config);
  return {
    config,
    signing: keyedCertificate(dir, CLIENT_FILES.signingCert, CLIENT_FILES.signingKey),
    encryption: keyedCertificate(dir, CLIENT_FILES.encryptionCert, CLIENT_FILES.encryptionKey),
    trustedRoot: optional(CLIENT_FILES.trustedRoot),
    token,
  };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** client.json as this ccmlab wrote it: the fields every command relies on, with their types. */
function parseConfig(dir: string, text: string): ClientConfig {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return corrupt(dir, CLIENT_FILES.config, `is not valid JSON (${(error as Error).message})`);
  }
  if (!isObject(value) || value.schemaVersion !== 1)
    return corrupt(dir, CLIENT_FILES.config, 'is not a client.json of schema 1');
  const strings = ['smsid', 'netbios', 'fqdn', 'siteCode', 'commandLine', 'logDir', 'installedAt', 'updatedAt'];
  const nullableStrings = ['assignedMp', 'internetMp', 'mpKeyInformation'];
  const bad =
    strings.find((k) => typeof value[k] !== 'string') ??
    nullableStrings.find((k) => value[k] !== null && typeof value[k] !== 'string') ??
    ['cmg', 'token'].find((k) => value[k] !== null && !isObject(value[k])) ??
    (isObject(value.logSettings) ? undefined : 'logSettings') ??
    (Array.isArray(value.connectTo) && value.connectTo.every((c) => typeof c === 'string') ? undefined : 'connectTo') ??
    (['intranet', 'internet'].includes(value.location as string) ? undefined : 'location');
  if (bad !== undefined) corrupt(dir, CLIENT_FILES.config, `has no valid '${bad}'`);
  return value as unknown as ClientConfig;
}

function checkToken(dir: string, token: string, config: ClientConfig): void {
  let jti: string | undefined;
  try {
    jti = tokenInfo(token).jti;
  } catch {
    corrupt(dir, CLIENT_FILES.token, 'is not a CCM token (three base64url parts with a JSON payload)');
  }
  if (config.token && jti !== config.token.jti)
    corrupt(dir, CLIENT_FILES.token, `is not the token client.json names (jti ${config.token.jti})`);
}

function keyedCertificate(dir: string, certificateFile: string, keyFile: string): KeyedCertificate {
  const certificatePem = read(dir, certificateFile);
  const privateKeyPem = read(dir, keyFile);
  try {
    new crypto.X509Certificate(certificatePem);
  } catch {
    corrupt(dir, certificateFile, 'is not a PEM certificate');
  }
  try {
    privateKeyOf(privateKeyPem);
  } catch {
    corrupt(dir, keyFile, 'is not a PEM private key');
  }
  return { certificatePem, privateKeyPem };
}

/** The certificates with their keys, as the client keeps them (the fleet writes them first, as the identity it fixes). */
export function writeCertificates(
  dir: string,
  identity: Pick<ClientState, 'signing' | 'encryption'>,
  store: StateStore,
): void {
  const write = (file: string, data: string) =>
    store.write(path.join(dir, file), data, SECRET_FILE_MODE, PRIVATE_DIR_MODE);
  write(CLIENT_FILES.signingKey, identity.signing.privateKeyPem);
  write(CLIENT_FILES.signingCert, identity.signing.certificatePem);
  write(CLIENT_FILES.encryptionKey, identity.encryption.privateKeyPem);
  write(CLIENT_FILES.encryptionCert, identity.encryption.certificatePem);
}

/**
 * Writes every file through `store` (ccmsetup's syncs each one; the fleet's shares rounds of
 * fsyncs among its clients), all private (0600 in 0700 directories), client.json last, and
 * resolves once they are durable.
 */
export async function saveClient(dir: string, state: ClientState, store: StateStore = durableFiles): Promise<void> {
  // A client dir made earlier under another umask is narrowed: nobody else may replace its files.
  makeDirectory(dir, CLIENT_DIR_ROLE, PRIVATE_DIR_MODE);
  narrowDirectory(dir, PRIVATE_DIR_MODE, CLIENT_DIR_ROLE);
  makeDirectory(path.join(dir, 'certs'), CLIENT_DIR_ROLE, PRIVATE_DIR_MODE);
  refuseCertsLink(dir);
  const write = (file: string, data: string) =>
    store.write(path.join(dir, file), data, SECRET_FILE_MODE, PRIVATE_DIR_MODE);
  writeCertificates(dir, state, store);
  if (state.trustedRoot) write(CLIENT_FILES.trustedRoot, state.trustedRoot);
  else store.remove(path.join(dir, CLIENT_FILES.trustedRoot), CLIENT_DIR_ROLE);
  if (state.token) write(CLIENT_FILES.token, `${state.token}\n`);
  else store.remove(path.join(dir, CLIENT_FILES.token), CLIENT_DIR_ROLE);
  write(CLIENT_FILES.smscfg, `[Configuration - Client Properties]\r\nSMS Unique Identifier=${state.config.smsid}\r\n`);
  write(CLIENT_FILES.config, `${JSON.stringify(state.config, null, 2)}\n`);
  await store.flush();
}

/** certs/ is written into: a link in its place would take the client's keys elsewhere. */
export function refuseCertsLink(dir: string): void {
  refuseLinksBelow(dir, path.join(dir, 'certs'), CLIENT_DIR_ROLE);
}

/** client.json alone, checked: what a fleet's status counts, without reading keys and certificates. */
export function readClientConfig(dir: string): ClientConfig {
  return parseConfig(dir, read(dir, CLIENT_FILES.config));
}

/** What removeClient removes, client.json first (without it the client is not installed): every state file is one of these or under certs/. */
const CLIENT_ENTRIES = [CLIENT_FILES.config, CLIENT_FILES.smscfg, CLIENT_FILES.token, 'certs'] as const;
const CLIENT_STATE_ROLE: FileRole = {
  label: 'client state',
  code: 'CCMLAB_E_STATE_WRITE',
  fix: 'make the client directory writable and run ccmsetup again',
};

/**
 * /uninstall and /forceinstall of an installed client: its state goes, its logs stay (they
 * live elsewhere). A link in place of a state file or of certs/ is removed itself, never
 * what it points to. `keep` 'certificates': all but certs/, for an install run again with the
 * identity fixed there (the fleet's retry).
 */
export function removeClient(dir: string, keep: 'nothing' | 'certificates' = 'nothing'): void {
  for (const entry of CLIENT_ENTRIES)
    if (keep === 'nothing' || entry !== 'certs') removeTree(path.join(dir, entry), CLIENT_STATE_ROLE, dir);
}

/**
 * One ccmsetup at a time per client dir (a second one exits 8). A lock left by a process
 * that is gone is taken over. Releasing the lock removes the directories this run made for
 * it if nothing else is in them (a failed install leaves no empty client dir).
 */
export function acquireSetupLock(dir: string): () => void {
  const madeFrom = makeDirectory(dir, CLIENT_DIR_ROLE, PRIVATE_DIR_MODE);
  const file = path.join(dir, 'ccmsetup.lock');
  takePidLock(file, {
    holder: () =>
      livePidIn(file, {
        label: 'ccmsetup lock',
        code: 'CCMCLIENT_E_CORRUPT_STATE',
        fix: 'remove it if no ccmsetup is running',
      }),
    held: (pid) =>
      new CcmlabError(
        'CCMSETUP_E_ALREADY_RUNNING',
        `ccmsetup is already running for ${path.resolve(dir)} (process ${pid}); wait for it to finish`,
      ),
    contended: () =>
      new CcmlabError('CCMSETUP_E_ALREADY_RUNNING', `another ccmsetup keeps taking the lock on ${path.resolve(dir)}`),
  });
  return releasedAtExit(() => {
    removeFile(file, CLIENT_DIR_ROLE);
    if (madeFrom !== undefined) removeEmptyDirs(dir, madeFrom);
  });
}
