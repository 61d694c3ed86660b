import * as fs from 'node:fs';
import * as path from 'node:path';
import { removeDir, tempDir } from './support/paths';

/** Jest's globalSetup rebuilds dist/ when a source is newer than its build: its test of staleness. */

// eslint-disable-next-line @typescript-eslint/no-require-imports -- Jest's globalSetup is plain JavaScript
const { staleSource } = require('./support/fresh-build.js') as {
  staleSource(src: string, dist: string): string | undefined;
};

let dir: string;
beforeEach(() => {
  dir = tempDir();
  fs.mkdirSync(path.join(dir, 'src', 'cli'), { recursive: true });
  fs.mkdirSync(path.join(dir, 'dist', 'cli'), { recursive: true });
});
afterEach(() => removeDir(dir));

const at = (file: string, seconds: number) => {
  fs.writeFileSync(path.join(dir, file), '');
  fs.utimesSync(path.join(dir, file), seconds, seconds);
};

test('a build newer than every source is fresh', () => {
  at('src/cli/a.ts', 1000);
  at('dist/cli/a.js', 2000);
  expect(staleSource(path.join(dir, 'src'), path.join(dir, 'dist'))).toBeUndefined();
});

test('a source edited after the build, or never built, is stale', () => {
  at('src/cli/a.ts', 3000);
  at('dist/cli/a.js', 2000);
  expect(staleSource(path.join(dir, 'src'), path.join(dir, 'dist'))).toBe(path.join('cli', 'a.ts'));
  at('dist/cli/a.js', 4000);
  at('src/b.ts', 1000);
  expect(staleSource(path.join(dir, 'src'), path.join(dir, 'dist'))).toBe('b.ts');
});
