import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { syncPaths } from '../../src/store/atomic-file';
import { durableFiles, GroupedFiles } from '../../src/store/state-store';

/**
 * The two state stores: ccmsetup's writes each file durably at once; the fleet's keeps writes
 * until flush, then syncs the temp files in one round and, once they are renamed in the order
 * written, their directories in another, and never writes again what it knows a file holds.
 */

const role = { label: 'test state', code: 'CCMLAB_E_STATE_WRITE', fix: 'make it writable' } as const;

let dir: string;
let rounds: string[][];
/** A Syncer that syncs for real and keeps what each round was asked to sync. */
const recording = async (paths: readonly string[]) => {
  rounds.push([...paths]);
  await syncPaths(paths);
};
const temps = (folder: string) => fs.readdirSync(folder).filter((name) => name.endsWith('.tmp'));
const modeOf = (file: string) => fs.statSync(file).mode & 0o777;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ccmlab-state-store-'));
  rounds = [];
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

test("ccmsetup's store writes each file at once, 0600 in a 0700 directory", async () => {
  const file = path.join(dir, 'client', 'certs', 'signing.key');
  durableFiles.write(file, 'KEY', 0o600, 0o700);
  expect(fs.readFileSync(file, 'utf8')).toBe('KEY');
  expect([modeOf(file), modeOf(path.dirname(file))]).toEqual([0o600, 0o700]);
  await durableFiles.flush();
  durableFiles.remove(file, role);
  expect(fs.existsSync(file)).toBe(false);
});

test("the fleet's store writes nothing before flush, then syncs the temp files, renames them, and syncs every directory whose entries changed", async () => {
  const client = path.join(dir, 'clients', 'C1');
  const store = new GroupedFiles(recording);
  store.write(path.join(client, 'certs', 'signing.key'), 'KEY', 0o600, 0o700);
  store.write(path.join(client, 'client.json'), '{}', 0o600, 0o700);
  expect(fs.existsSync(client)).toBe(false);
  await store.flush();
  expect(fs.readFileSync(path.join(client, 'certs', 'signing.key'), 'utf8')).toBe('KEY');
  expect(fs.readFileSync(path.join(client, 'client.json'), 'utf8')).toBe('{}');
  expect([modeOf(path.join(client, 'client.json')), modeOf(client), modeOf(path.join(client, 'certs'))]).toEqual([
    0o600, 0o700, 0o700,
  ]);
  expect(rounds).toHaveLength(2);
  expect(rounds[0].map((p) => path.basename(p))).toEqual([
    expect.stringMatching(/^\.signing\.key\..*\.tmp$/),
    expect.stringMatching(/^\.client\.json\..*\.tmp$/),
  ]);
  // certs/ and C1 and clients/ were made: each new entry's directory is synced, up to dir itself.
  expect(rounds[1].sort()).toEqual([dir, path.join(dir, 'clients'), client, path.join(client, 'certs')].sort());
  expect([...temps(client), ...temps(path.join(client, 'certs'))]).toEqual([]);
});

test('what the store knows a file holds (flushed, or read back from disk) is not written again; anything else is', async () => {
  const key = path.join(dir, 'signing.key');
  const cert = path.join(dir, 'signing.pem');
  fs.writeFileSync(cert, 'CERT');
  const store = new GroupedFiles(recording);
  store.holds(cert, 'CERT');
  store.write(key, 'KEY', 0o600, 0o700);
  await store.flush();
  const inodes = [fs.statSync(key).ino, fs.statSync(cert).ino];
  rounds = [];
  store.write(key, 'KEY', 0o600, 0o700);
  store.write(cert, 'CERT', 0o600, 0o700);
  store.write(path.join(dir, 'token.jwt'), 'TOKEN', 0o600, 0o700);
  await store.flush();
  expect([fs.statSync(key).ino, fs.statSync(cert).ino]).toEqual(inodes);
  expect(rounds[0].map((p) => path.basename(p))).toEqual([expect.stringMatching(/^\.token\.jwt\./)]);
  store.write(key, 'NEW KEY', 0o600, 0o700);
  await store.flush();
  expect(fs.readFileSync(key, 'utf8')).toBe('NEW KEY');
});

test('files are renamed in the order last written: a rename that fails stops the flush there, and no temp file is left', async () => {
  const store = new GroupedFiles(recording);
  const [first, second, last] = ['smscfg.ini', 'token.jwt', 'client.json'].map((name) => path.join(dir, name));
  store.write(last, 'early', 0o600, 0o700);
  store.write(first, 'first', 0o600, 0o700);
  store.write(second, 'second', 0o600, 0o700);
  store.write(last, 'last', 0o600, 0o700);
  // A non-empty directory in its place: renaming a file over it fails.
  fs.mkdirSync(path.join(second, 'x'), { recursive: true });
  await expect(store.flush()).rejects.toMatchObject({
    code: 'CCMLAB_E_STATE_WRITE',
    message: expect.stringContaining(`${second} cannot be written`),
  });
  expect(fs.readFileSync(first, 'utf8')).toBe('first');
  expect(fs.existsSync(last)).toBe(false);
  expect(temps(dir)).toEqual([]);
});

test('a sync that fails fails the flush before any file is replaced, and its temp files go', async () => {
  const file = path.join(dir, 'client.json');
  fs.writeFileSync(file, 'old');
  const store = new GroupedFiles(() => Promise.reject(Object.assign(new Error('EIO'), { code: 'EIO' })));
  store.write(file, 'new', 0o600, 0o700);
  await expect(store.flush()).rejects.toMatchObject({
    code: 'CCMLAB_E_STATE_WRITE',
    message: `${file} cannot be written (EIO); free space or make its directory writable, then run the command again`,
  });
  expect(fs.readFileSync(file, 'utf8')).toBe('old');
  expect(temps(dir)).toEqual([]);
});

test('a removal drops a pending write of the same file, and its directory is synced with the next flush', async () => {
  const token = path.join(dir, 'certs', 'token.jwt');
  fs.mkdirSync(path.dirname(token));
  fs.writeFileSync(token, 'TOKEN');
  const store = new GroupedFiles(recording);
  store.write(token, 'NEWER', 0o600, 0o700);
  store.remove(token, role);
  expect(fs.existsSync(token)).toBe(false);
  await store.flush();
  expect(fs.existsSync(token)).toBe(false);
  expect(rounds).toEqual([[path.dirname(token)]]);
});
