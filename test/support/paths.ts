import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export const ROOT = path.resolve(__dirname, '..', '..');
export const FIXTURES = path.join(ROOT, 'fixtures');
/** The catalogue ccmlab ships (scenarios, signatures): not test data. */
export const CATALOGUE = path.join(ROOT, 'catalogue');

export function fixture(...parts: string[]): string {
  return path.join(FIXTURES, ...parts);
}

export function readFixture(...parts: string[]): string {
  return fs.readFileSync(fixture(...parts), 'utf8');
}

/** The token printed in the source article (corrupted there: its payload is not JSON), as the bulk-token-malformed scenario ships it. */
export function articleCorruptedToken(): string {
  return fs
    .readFileSync(path.join(CATALOGUE, 'scenarios', 'bulk-token-malformed', 'article-corrupted.jwt'), 'utf8')
    .trim();
}

/** A fresh directory under the OS temp dir, removed by the caller's afterEach/afterAll. */
export function tempDir(prefix = 'ccmlab-test-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

export function removeDir(dir: string): void {
  fs.rmSync(dir, { recursive: true, force: true });
}

/** Every file below dir, relative, sorted: to show that a command wrote nothing else. */
export function listFiles(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out.push(path.relative(dir, p));
    }
  };
  walk(dir);
  return out.sort();
}
