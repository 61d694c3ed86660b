import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { directoryChanges, noteDirectoryChanged } from '../../src/store/directory-changes';
import { removeDir, tempDir } from '../support/paths';

/** When a cache of some files of a directory must read them again. */

let dir: string;
beforeEach(() => {
  dir = tempDir();
});
afterEach(() => removeDir(dir));

/** Replaces `name` in `dir` from another process, as `ccmlab clock set` or `site certs renew` do: a write and a rename. */
function replaceFromAnotherProcess(name: string, text: string): void {
  const script =
    "const fs = require('fs'); const [dir, name, text] = process.argv.slice(1); fs.writeFileSync(`${dir}/.${name}.tmp`, text); fs.renameSync(`${dir}/.${name}.tmp`, `${dir}/${name}`);";
  execFileSync(process.execPath, ['-e', script, dir, name, text]);
}

/** Resolves once the event loop has delivered a change event for `dir` (the caches' watches get it in the same pass). */
function nextEvent(watched: string): { delivered: Promise<void> } {
  const watcher = fs.watch(watched);
  return {
    delivered: new Promise<void>((resolve) => {
      watcher.once('change', () => {
        watcher.close();
        setImmediate(resolve);
      });
    }),
  };
}

const turn = () => new Promise<void>((resolve) => queueMicrotask(resolve));

describe('by stat (where no watch is trusted)', () => {
  test('one look per synchronous run: a change is seen after the run, and files appearing or going count', async () => {
    const changes = directoryChanges(dir, ['a.json', 'b.json'], false);
    const none = changes.stamp();
    fs.writeFileSync(path.join(dir, 'a.json'), '1');
    expect(changes.stamp()).toBe(none);
    await turn();
    const one = changes.stamp();
    expect(one).not.toBe(none);
    await turn();
    expect(changes.stamp()).toBe(one);
    fs.writeFileSync(path.join(dir, 'other.json'), 'not watched');
    await turn();
    expect(changes.stamp()).toBe(one);
    fs.rmSync(path.join(dir, 'a.json'));
    await turn();
    expect(changes.stamp()).toBe(none);
  });

  test('a change this process noted is seen at once', () => {
    const changes = directoryChanges(dir, ['a.json'], false);
    const before = changes.stamp();
    fs.writeFileSync(path.join(dir, 'a.json'), '1');
    noteDirectoryChanged(dir);
    expect(changes.stamp()).not.toBe(before);
  });
});

const onLinux = process.platform === 'linux' ? describe : describe.skip;

onLinux('by watching the directory (Linux)', () => {
  test('no look at the files per use: the stamp moves when the change event arrives, not before', async () => {
    const changes = directoryChanges(dir, ['clock.json'], true);
    const first = changes.stamp();
    const event = nextEvent(dir);
    fs.writeFileSync(path.join(dir, 'clock.json'), '{}');
    // Microtasks only: no event delivered yet, and the file is not looked at (by stat it would be, after a turn).
    await turn();
    expect(changes.stamp()).toBe(first);
    await event.delivered;
    expect(changes.stamp()).not.toBe(first);
  });

  test('a file replaced by another process (write and rename) is seen once its event arrives', async () => {
    const changes = directoryChanges(dir, ['clock.json'], true);
    const first = changes.stamp();
    const event = nextEvent(dir);
    replaceFromAnotherProcess('clock.json', '{}');
    await event.delivered;
    expect(changes.stamp()).not.toBe(first);
  });

  test('changes to other files of the directory do not count', async () => {
    const changes = directoryChanges(dir, ['clock.json'], true);
    const first = changes.stamp();
    const event = nextEvent(dir);
    replaceFromAnotherProcess('hosts.json', '{}');
    await event.delivered;
    expect(changes.stamp()).toBe(first);
  });

  test('a directory made later is watched once it exists; one removed and made again still is', async () => {
    const later = path.join(dir, 'lab');
    const changes = directoryChanges(later, ['clock.json'], true);
    const missing = changes.stamp();
    fs.mkdirSync(later);
    await turn();
    const watched = changes.stamp();
    expect(watched).not.toBe(missing);
    const removed = nextEvent(dir);
    fs.rmSync(later, { recursive: true });
    await removed.delivered;
    fs.mkdirSync(later);
    const again = changes.stamp();
    expect(again).not.toBe(watched);
    const event = nextEvent(later);
    fs.writeFileSync(path.join(later, 'clock.json'), '{}');
    await event.delivered;
    expect(changes.stamp()).not.toBe(again);
  });
});
