import * as fs from 'node:fs';
import * as path from 'node:path';
import { findBelow, listDirectory, openFileRange } from '../../src/store/tree-reads';
import { removeDir, tempDir } from '../support/paths';

let work: string;
let root: string;
beforeEach(() => {
  work = tempDir();
  root = path.join(work, 'Client');
  fs.mkdirSync(path.join(root, 'x64', 'ClientPatch'), { recursive: true });
  fs.writeFileSync(path.join(root, 'x64', 'client.msi'), '0123456789');
  fs.writeFileSync(path.join(work, 'secret'), 'outside');
});
afterEach(() => removeDir(work));

const kind = (names: string[]) => findBelow(root, names).kind;

test('names are matched as written, else in any case', () => {
  const found = findBelow(root, ['X64', 'CLIENT.MSI']);
  expect(found.kind === 'file' && [found.name, found.stat.size]).toEqual(['client.msi', 10]);
  expect(kind(['x64', 'clientpatch'])).toBe('directory');
  expect(kind([])).toBe('directory');
  expect(kind(['x64', 'nothing.msi'])).toBe('missing');
  expect(kind(['x64', 'client.msi', 'below-a-file'])).toBe('missing');
});

test('no link is followed at any level, the root included, and no name may step out', () => {
  fs.symlinkSync(path.join(work, 'secret'), path.join(root, 'x64', 'linked.msi'));
  fs.symlinkSync(work, path.join(root, 'up'));
  expect(kind(['x64', 'linked.msi'])).toBe('refused');
  expect(kind(['up', 'secret'])).toBe('refused');
  expect(kind(['UP', 'secret'])).toBe('refused');
  for (const name of ['..', '.', '', '../secret', 'a\0b']) expect(kind([name])).toBe('refused');
  const linkedRoot = path.join(work, 'LinkedClient');
  fs.symlinkSync(root, linkedRoot);
  expect(findBelow(linkedRoot, ['x64']).kind).toBe('refused');
});

test('a listing shows files and folders sorted, links left out', () => {
  fs.symlinkSync(path.join(work, 'secret'), path.join(root, 'x64', 'linked.msi'));
  expect(listDirectory(path.join(root, 'x64'))?.map((e) => [e.name, e.kind])).toEqual([
    ['ClientPatch', 'directory'],
    ['client.msi', 'file'],
  ]);
});

test('a range is read from the file the lookup found, or not at all once another file took its name', async () => {
  const found = findBelow(root, ['x64', 'client.msi']);
  if (found.kind !== 'file') throw new Error('not found');
  const stream = openFileRange(found, 2, 5);
  const chunks: Buffer[] = [];
  for await (const chunk of stream ?? []) chunks.push(chunk as Buffer);
  expect(Buffer.concat(chunks).toString()).toBe('2345');
  fs.renameSync(found.path, path.join(work, 'old.msi'));
  fs.writeFileSync(found.path, 'another file');
  expect(openFileRange(found, 0, 1)).toBeUndefined();
});
