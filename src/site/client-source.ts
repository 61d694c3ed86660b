import * as crypto from 'node:crypto';
import * as path from 'node:path';
import { AGENT_VERSION } from '../protocol/agent-version';
import { buildCabinet } from '../protocol/cab';
import { buildManifest, MANIFEST_NAME, type ManifestItem } from '../protocol/client-manifest';
import { PUBLIC_DIR_MODE, PUBLIC_FILE_MODE, syncPaths, writeChunksAtomic, writeFileAtomic } from '../store/atomic-file';
import { removeTree, renameEntry } from '../store/file-writes';
import { entryAt, makeDirectory } from '../store/files';
import { CCMSETUP_EXE, CLIENT_ITEMS, manifestItem, sizeOf, type ContentSize } from './client-items';

/**
 * The client source a site keeps in `<site dir>/Client/` and its MP serves as CCM_Client:
 * ccmsetup.cab (holding the manifest, ccmsetup.xml), ccmsetup.exe, each manifest item's file
 * (generated: bytes of a keystream seeded by the file's name and size, the same on every
 * site, written as they are made), and the empty x64/ClientPatch, LanguagePack and
 * ClientUpdate folders. What is on disk is what is served: a file deleted or overwritten
 * there is missing, or disagrees with the manifest's hash, until the folder is rebuilt.
 */

export const CLIENT_DIR = 'Client';
export const CCMSETUP_CAB = 'ccmsetup.cab';
const FOLDERS = ['x64', 'i386', 'x64/ClientPatch', 'x64/LanguagePack', 'x64/ClientUpdate'];
const CHUNK = 256 * 1024;
const ROLE = {
  label: 'client source',
  code: 'CCMLAB_E_STATE_WRITE',
  fix: 'free space or make the site directory writable, then run the command again',
} as const;

/** `size` bytes of AES-128-CTR keystream under a key derived from the name and size: deterministic, fast, never whole in memory. */
export function* generatedContent(name: string, size: number): Generator<Buffer> {
  const key = crypto.createHash('sha256').update(`ccmlab client source\0${name}\0${size}`).digest().subarray(0, 16);
  const cipher = crypto.createCipheriv('aes-128-ctr', key, Buffer.alloc(16));
  const zeros = Buffer.alloc(CHUNK);
  for (let left = size; left > 0; left -= CHUNK) yield cipher.update(zeros.subarray(0, Math.min(CHUNK, left)));
}

/** Writes a generated file (not yet durable) and returns its size and upper-case SHA-256. */
function writeGenerated(file: string, name: string, size: number): { size: number; sha256: string } {
  const hash = crypto.createHash('sha256');
  function* hashed(): Generator<Buffer> {
    for (const chunk of generatedContent(name, size)) {
      hash.update(chunk);
      yield chunk;
    }
  }
  writeChunksAtomic(file, hashed(), PUBLIC_FILE_MODE, PUBLIC_DIR_MODE, false);
  return { size, sha256: hash.digest('hex').toUpperCase() };
}

/** Every file and folder of a client source in `dir` (which must not exist yet); made durable before it returns. */
export async function buildClientSource(dir: string, contentSize: ContentSize, modified: Date): Promise<void> {
  const written: string[] = [];
  for (const folder of ['', ...FOLDERS]) {
    makeDirectory(path.join(dir, folder), ROLE, PUBLIC_DIR_MODE);
    written.push(path.join(dir, folder));
  }
  const exe = path.join(dir, CCMSETUP_EXE.name);
  writeGenerated(exe, CCMSETUP_EXE.name, sizeOf(CCMSETUP_EXE.name, CCMSETUP_EXE.realSize, contentSize));
  written.push(exe);
  const items: ManifestItem[] = CLIENT_ITEMS.map((item) => {
    if (item.realSize === undefined) return manifestItem(item);
    const file = path.join(dir, ...item.name.split('/'));
    written.push(file);
    return manifestItem(item, writeGenerated(file, item.name, sizeOf(item.name, item.realSize, contentSize)));
  });
  const manifest = Buffer.from(buildManifest({ version: AGENT_VERSION, items }), 'utf8');
  const cab = path.join(dir, CCMSETUP_CAB);
  writeFileAtomic(
    cab,
    buildCabinet([{ name: MANIFEST_NAME, data: manifest }], modified),
    PUBLIC_FILE_MODE,
    PUBLIC_DIR_MODE,
    false,
  );
  written.push(cab);
  await syncPaths(written);
}

/**
 * A site made before the client source existed gets one, small, when it starts: built
 * beside the site's other files and renamed into place whole. A Client entry already
 * there (even a link or a file, which the MP then refuses to serve from) is left alone.
 * True when it was built here.
 */
export async function ensureClientSource(siteDir: string, modified: Date): Promise<boolean> {
  const target = path.join(siteDir, CLIENT_DIR);
  if (entryAt(target) !== undefined) return false;
  const staging = path.join(siteDir, `.${CLIENT_DIR}.build-${crypto.randomBytes(4).toString('hex')}`);
  try {
    await buildClientSource(staging, 'small', modified);
    try {
      renameEntry(staging, target, ROLE);
    } catch (error) {
      // Another start of the same site built it first.
      if (entryAt(target) !== undefined) return false;
      throw error;
    }
    await syncPaths([siteDir]);
    return true;
  } finally {
    removeTree(staging, ROLE);
  }
}
