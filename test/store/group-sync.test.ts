import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { GroupSync } from '../../src/store/group-sync';

/** Group commit: every caller's paths are synced and a failure is the failing caller's own. */

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ccmlab-group-sync-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

test('many callers at once all resolve once their paths are synced, and a caller after the round ends starts another', async () => {
  const files = Array.from({ length: 20 }, (_, i) => path.join(dir, `f${i}`));
  for (const file of files) fs.writeFileSync(file, 'x');
  const group = new GroupSync();
  await Promise.all(files.map((file) => group.sync([file, dir])));
  // A second batch after the first has ended starts a new round of its own.
  await expect(group.sync([files[0]])).resolves.toBeUndefined();
});

test('a path that cannot be synced fails its caller only', async () => {
  const good = path.join(dir, 'good');
  fs.writeFileSync(good, 'x');
  const group = new GroupSync();
  const results = await Promise.allSettled([
    group.sync([good]),
    group.sync([path.join(dir, 'missing')]),
    group.sync([good, dir]),
  ]);
  expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
  expect((results[1] as PromiseRejectedResult).reason).toMatchObject({ code: 'ENOENT' });
});
