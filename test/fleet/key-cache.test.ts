import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { addSlot, KeyCache, newSlot, ownerOf, parseSlot, prepareKeyCache } from '../../src/fleet/key-cache';
import { removeDir, tempDir } from '../support/paths';

/** A slot with recognisable (not real) key blocks: allocation never parses the keys themselves. */
const fakeSlot = (id: string, pairs = 2) =>
  Array.from(
    { length: pairs },
    (_, i) =>
      `-----BEGIN PRIVATE KEY-----\n${id}-${i}\n-----END PRIVATE KEY-----\n-----BEGIN PUBLIC KEY-----\n${id}-${i}-pub\n-----END PUBLIC KEY-----\n`,
  ).join('');
const idOf = (keys: { signing: { privateKeyPem: string } } | undefined) =>
  /\n(.*)-0\n/.exec(keys?.signing.privateKeyPem ?? '')?.[1];

let work: string;
let dir: string;
beforeEach(() => {
  work = tempDir();
  dir = path.join(work, 'keys');
});
afterEach(() => removeDir(work));

describe('key cache', () => {
  test('made in a new or empty directory, 0700, slots 0600; any other directory is refused', () => {
    prepareKeyCache(dir);
    prepareKeyCache(dir);
    addSlot(dir, fakeSlot('a'));
    expect(fs.statSync(dir).mode & 0o777).toBe(0o700);
    const [slot] = fs.readdirSync(path.join(dir, 'ready'));
    expect(slot).toMatch(/^[0-9a-f]{32}\.pem$/);
    expect(fs.statSync(path.join(dir, 'ready', slot)).mode & 0o777).toBe(0o600);
    expect(KeyCache.open(dir).countReady()).toBe(1);
    fs.writeFileSync(path.join(work, 'note.txt'), 'not a cache');
    expect(() => prepareKeyCache(work)).toThrow(/is not empty and is not a key cache/);
    expect(() => KeyCache.open(work)).toThrow(
      expect.objectContaining({
        code: 'CCMLAB_E_KEY_CACHE',
        message: expect.stringMatching(/make one with 'ccmlab fleet keys/),
      }),
    );
  });

  (process.platform === 'win32' ? test.skip : test)(
    'a ready/ or claimed/ that is a link is refused: no slot is written, renamed or removed through it',
    () => {
      prepareKeyCache(dir);
      const elsewhere = path.join(work, 'elsewhere');
      fs.mkdirSync(elsewhere);
      fs.writeFileSync(path.join(elsewhere, 'keep.pem'), 'x');
      fs.rmSync(path.join(dir, 'claimed'), { recursive: true });
      fs.symlinkSync(elsewhere, path.join(dir, 'claimed'));
      expect(() => KeyCache.open(dir)).toThrow(
        expect.objectContaining({
          code: 'CCMLAB_E_KEY_CACHE',
          message: expect.stringMatching(/claimed is a symbolic link/),
        }),
      );
      expect(() => prepareKeyCache(dir)).toThrow(/claimed is a symbolic link/);
      expect(fs.readdirSync(elsewhere)).toEqual(['keep.pem']);
    },
  );

  test('a pool copies slots into a new cache (0600) and keeps them; a copy of more than it holds gives what there is', async () => {
    prepareKeyCache(dir);
    for (let i = 0; i < 5; i++) addSlot(dir, fakeSlot(`pool${i}`));
    const pool = KeyCache.open(dir);
    const copy = path.join(work, 'copy');
    expect(pool.copyTo(copy, 3)).toBe(3);
    expect(pool.countReady()).toBe(5);
    expect(KeyCache.open(copy).countReady()).toBe(3);
    for (const slot of fs.readdirSync(path.join(copy, 'ready')))
      expect(fs.statSync(path.join(copy, 'ready', slot)).mode & 0o777).toBe(0o600);
    expect(pool.copyTo(path.join(work, 'all'), 50)).toBe(5);
  });

  test('two runs sharing a cache never get the same slot; an exhausted cache says so', async () => {
    prepareKeyCache(dir);
    for (let i = 0; i < 10; i++) addSlot(dir, fakeSlot(`slot${i}`));
    const [a, b] = [KeyCache.open(dir), KeyCache.open(dir)];
    const got: string[] = [];
    for (let i = 0; i < 5; i++) {
      got.push(idOf(await a.claim(ownerOf('/fleet-a', `PC${i}`))) as string);
      got.push(idOf(await b.claim(ownerOf('/fleet-b', `PC${i}`))) as string);
    }
    expect(new Set(got).size).toBe(10);
    expect(await a.claim(ownerOf('/fleet-a', 'PC99'))).toBeUndefined();
    expect(b.countReady()).toBe(0);
    a.close();
    b.close();
  });

  test('a client that claimed keys and was interrupted gets the same keys back; once its identity holds them the claim goes', async () => {
    prepareKeyCache(dir);
    for (let i = 0; i < 3; i++) addSlot(dir, fakeSlot(`slot${i}`));
    const owner = ownerOf('/fleet', 'PC1');
    const interrupted = KeyCache.open(dir);
    const first = idOf(await interrupted.claim(owner));
    interrupted.close();
    const cache = KeyCache.open(dir);
    expect(cache.hasClaim(owner)).toBe(true);
    expect(idOf(await cache.claim(owner))).toBe(first);
    expect(cache.countReady()).toBe(2);
    await cache.release(owner);
    expect(cache.hasClaim(owner)).toBe(false);
    expect(idOf(await cache.claim(owner))).not.toBe(first);
    cache.close();
  });

  test('slots added while a run takes them (another fleet keys) are found once the listing runs out', async () => {
    prepareKeyCache(dir);
    addSlot(dir, fakeSlot('early'));
    const cache = KeyCache.open(dir);
    expect(idOf(await cache.claim(ownerOf('/f', 'A')))).toBe('early');
    expect(await cache.claim(ownerOf('/f', 'B'))).toBeUndefined();
    addSlot(dir, fakeSlot('late'));
    expect(idOf(await cache.claim(ownerOf('/f', 'B')))).toBe('late');
    cache.close();
  });

  test('a slot holds one pair (both certificates) or two (signing, encryption), each private key with its public key', async () => {
    expect(parseSlot(fakeSlot('x', 1))).toMatchObject({
      signing: { privateKeyPem: expect.stringContaining('x-0') },
      encryption: { publicKeyPem: expect.stringContaining('x-0-pub') },
    });
    expect(parseSlot(fakeSlot('x', 2))?.encryption.privateKeyPem).toContain('x-1');
    expect(parseSlot(fakeSlot('x', 3))).toBeUndefined();
    expect(parseSlot('')).toBeUndefined();
    expect(
      parseSlot(fakeSlot('x', 2).replace(/-----BEGIN PUBLIC KEY-----[\s\S]*?-----END PUBLIC KEY-----\n/, '')),
    ).toBeUndefined();
    const real = parseSlot(await newSlot(true));
    expect(real?.signing).toBe(real?.encryption);
    const key = crypto.createPrivateKey(real?.signing.privateKeyPem as string);
    expect(key.asymmetricKeyDetails?.modulusLength).toBe(2048);
    expect(crypto.createPublicKey(key).export({ type: 'spki', format: 'pem' })).toBe(real?.signing.publicKeyPem);
  });
});
