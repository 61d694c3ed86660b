import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ClientKeys } from '../client/identity';
import { CcmlabError } from '../core/errors';
import { generateRsaKeyPair } from '../pki/certificates';
import { PRIVATE_DIR_MODE, SECRET_FILE_MODE, syncPaths, writeFileAtomic, type Syncer } from '../store/atomic-file';
import { narrowDirectory, refuseLinksBelow, removeFileAsync, renameEntry, writeNewFile } from '../store/file-writes';
import { errnoOf, makeDirectory, readBoundedFile, readBoundedText } from '../store/files';

/**
 * Pre-generated client keys (`ccmlab fleet keys`), so that an enrollment costs only what the
 * wire costs. The cache is a directory (0700):
 *
 *   key-cache.json        what the directory is (format, schema)
 *   ready/<32 hex>.pem    one client's keys (0600): two RSA-2048 key pairs (PKCS#8 private
 *                         key, then SPKI public key), signing then encryption, or one pair
 *                         for both (--one-key)
 *   claimed/<owner>.pem   keys a fleet client has taken and not yet fixed in its identity
 *
 * A slot is named at random, so any number of `fleet keys` may add to a cache at once. A
 * client takes a slot by renaming it to `claimed/<owner>` (owner: a digest of its fleet dir
 * and name): the rename is atomic, so of two runs reaching for one slot exactly one gets it,
 * and no key ever goes to two clients. Once the client's identity (SMSID, certificates, these
 * keys) is on disk in its client dir, before its first request, the claim is removed: the keys
 * are that client's for every retry. A crash between the claim and that moment leaves the
 * claim, and the same client takes it up again on the next run.
 */

const KEY_CACHE_FILE = 'key-cache.json';
const READY = 'ready';
const CLAIMED = 'claimed';
const SLOT = /^[0-9a-f]{32}\.pem$/;
const MAX_SLOT_BYTES = 16 * 1024;
const MARKER = { format: 'ccmlab-key-cache', schemaVersion: 1 };
const PRIVATE_KEY = /-----BEGIN PRIVATE KEY-----[\s\S]+?-----END PRIVATE KEY-----\r?\n?/g;
const PUBLIC_KEY = /-----BEGIN PUBLIC KEY-----[\s\S]+?-----END PUBLIC KEY-----\r?\n?/g;

const CACHE_DIR = {
  label: 'key cache',
  code: 'CCMLAB_E_KEY_CACHE',
  fix: 'give a --key-cache directory that can be created and written to',
} as const;
const SLOT_ROLE = {
  label: 'key cache slot',
  code: 'CCMLAB_E_KEY_CACHE',
  fix: 'remove it; the cache has others',
} as const;

function isKeyCache(dir: string): boolean {
  try {
    const marker = JSON.parse(readBoundedText(path.join(dir, KEY_CACHE_FILE), 1024, CACHE_DIR)) as typeof MARKER;
    return marker.format === MARKER.format && marker.schemaVersion === MARKER.schemaVersion;
  } catch {
    return false;
  }
}

/** An empty path would put the cache's folders in the current directory. */
function refuseEmpty(dir: string, option: string): void {
  const example = option === '--key-pool' ? 'lab/bench-key-cache' : 'lab/keys';
  if (dir.trim() === '')
    throw new CcmlabError(
      'CCMLAB_E_BAD_OPTION',
      `${option} is empty; give the key cache's directory (like ${option} ${example})`,
    );
}

/** Slots are written to ready/, renamed into claimed/ and removed there: never through a link planted for either. */
function refuseSlotLinks(dir: string): void {
  for (const sub of [READY, CLAIMED]) refuseLinksBelow(dir, path.join(dir, sub), CACHE_DIR);
}

/** The cache in `dir`, made if `dir` is missing or empty; any other directory is refused (`option`: how the user named it). */
export function prepareKeyCache(dir: string, option = '--key-cache'): void {
  refuseEmpty(dir, option);
  if (isKeyCache(dir)) return refuseSlotLinks(dir);
  if (fs.existsSync(dir) && fs.readdirSync(dir).length > 0) {
    throw new CcmlabError(
      'CCMLAB_E_KEY_CACHE',
      `${path.resolve(dir)} is not empty and is not a key cache (no ${KEY_CACHE_FILE}); give an empty or new ${option} directory`,
    );
  }
  for (const sub of [READY, CLAIMED]) makeDirectory(path.join(dir, sub), CACHE_DIR, PRIVATE_DIR_MODE);
  narrowDirectory(dir, PRIVATE_DIR_MODE, CACHE_DIR);
  writeFileAtomic(path.join(dir, KEY_CACHE_FILE), `${JSON.stringify(MARKER)}\n`, SECRET_FILE_MODE, PRIVATE_DIR_MODE);
}

/**
 * One client's keys as a slot holds them: the signing key pair, then the encryption key pair
 * unless one serves both; each private key (PKCS#8) followed by its public key (SPKI), which
 * the certificates need and would otherwise cost a derivation at enrollment.
 */
export async function newSlot(oneKey: boolean): Promise<string> {
  const pairs = await Promise.all(Array.from({ length: oneKey ? 1 : 2 }, () => generateRsaKeyPair()));
  return pairs.map((pair) => `${pair.privateKeyPem}${pair.publicKeyPem}`).join('');
}

export function addSlot(dir: string, pem: string): void {
  writeFileAtomic(
    path.join(dir, READY, `${crypto.randomBytes(16).toString('hex')}.pem`),
    pem,
    SECRET_FILE_MODE,
    PRIVATE_DIR_MODE,
  );
}

/** The client keys in a slot's text; one pair serves both certificates. Undefined if it holds neither one nor two key pairs. */
export function parseSlot(pem: string): ClientKeys | undefined {
  const privates = pem.match(PRIVATE_KEY) ?? [];
  const publics = pem.match(PUBLIC_KEY) ?? [];
  if (privates.length < 1 || privates.length > 2 || publics.length !== privates.length) return undefined;
  const [signing, encryption] = privates.map((privateKeyPem, i) => ({ privateKeyPem, publicKeyPem: publics[i] }));
  return { signing, encryption: encryption ?? signing };
}

/** The name under which `name` of the fleet in `fleetDir` claims its keys. */
export function ownerOf(fleetDir: string, name: string): string {
  return crypto
    .createHash('sha256')
    .update(`${path.resolve(fleetDir)}\n${name}`)
    .digest('hex')
    .slice(0, 32);
}

/** Counts names in a directory one entry at a time (a cache may hold many thousands). */
function countEntries(dir: string, matches: (name: string) => boolean): number {
  const handle = fs.opendirSync(dir);
  let count = 0;
  try {
    for (let entry = handle.readSync(); entry; entry = handle.readSync()) if (matches(entry.name)) count++;
  } finally {
    handle.closeSync();
  }
  return count;
}

export class KeyCache {
  private listing: fs.Dir | undefined;
  private relisted = false;

  private constructor(
    readonly dir: string,
    private readonly sync: Syncer,
  ) {}

  /** The cache in `dir`; `sync` makes its claims durable (a fleet's GroupSync shares the fsyncs of many claims). */
  static open(dir: string, sync: Syncer = syncPaths): KeyCache {
    refuseEmpty(dir, '--key-cache');
    if (!isKeyCache(dir)) {
      throw new CcmlabError(
        'CCMLAB_E_KEY_CACHE',
        `${path.resolve(dir)} is not a key cache (no ${KEY_CACHE_FILE}); make one with 'ccmlab fleet keys --count N --key-cache ${dir}'`,
      );
    }
    refuseSlotLinks(dir);
    return new KeyCache(dir, sync);
  }

  /** Slots not taken by any client. */
  countReady(): number {
    return countEntries(path.join(this.dir, READY), (name) => SLOT.test(name));
  }

  private claimFile(owner: string): string {
    return path.join(this.dir, CLAIMED, `${owner}.pem`);
  }

  /**
   * Copies `count` ready slots (or all there are) into a new cache at `dir`, this one left as
   * it was: a pool for runs whose site is thrown away after them (the bench), which may give
   * the same keys out again because no site that saw them is left. Returns how many it copied.
   */
  copyTo(dir: string, count: number): number {
    prepareKeyCache(dir);
    const handle = fs.opendirSync(path.join(this.dir, READY));
    let copied = 0;
    try {
      for (let entry = handle.readSync(); entry && copied < count; entry = handle.readSync()) {
        if (!SLOT.test(entry.name)) continue;
        const pem = readBoundedFile(path.join(this.dir, READY, entry.name), MAX_SLOT_BYTES, SLOT_ROLE, {
          follow: false,
        });
        writeNewFile(path.join(dir, READY, entry.name), pem, SECRET_FILE_MODE, CACHE_DIR);
        copied++;
      }
    } finally {
      handle.closeSync();
    }
    return copied;
  }

  hasClaim(owner: string): boolean {
    return fs.existsSync(this.claimFile(owner));
  }

  /**
   * The keys `owner` claimed before, or a slot claimed now; undefined when the cache has none
   * left. A new claim is made durable (both directories synced) before the keys are used, so
   * no crash can put keys that a client went on to use back among the ready ones.
   */
  async claim(owner: string): Promise<ClientKeys | undefined> {
    const file = this.claimFile(owner);
    if (!fs.existsSync(file)) {
      if (!this.takeSlot(file)) return undefined;
      await this.sync([path.join(this.dir, READY), path.join(this.dir, CLAIMED)]);
    }
    const keys = parseSlot(readBoundedText(file, MAX_SLOT_BYTES, SLOT_ROLE, { follow: false }));
    if (!keys)
      throw new CcmlabError(
        'CCMLAB_E_KEY_CACHE',
        `key cache slot ${file} holds neither one nor two PEM private keys; remove it, the cache has others`,
      );
    return keys;
  }

  /** Renames the next free slot to `target`; false when none is left (listed again once, for slots added meanwhile). */
  private takeSlot(target: string): boolean {
    for (;;) {
      this.listing ??= fs.opendirSync(path.join(this.dir, READY));
      const entry = this.listing.readSync();
      if (!entry) {
        this.listing.closeSync();
        this.listing = undefined;
        if (this.relisted) return false;
        this.relisted = true;
        continue;
      }
      this.relisted = false;
      if (!SLOT.test(entry.name)) continue;
      try {
        renameEntry(path.join(this.dir, READY, entry.name), target, CACHE_DIR);
        return true;
      } catch (error) {
        // Another run took it first.
        if (errnoOf(error) !== 'ENOENT') throw error;
      }
    }
  }

  /** The keys now live with their client: its claim goes (off the event loop). */
  async release(owner: string): Promise<void> {
    await removeFileAsync(this.claimFile(owner), CACHE_DIR);
  }

  close(): void {
    this.listing?.closeSync();
    this.listing = undefined;
  }
}
