import * as fs from 'node:fs';
import * as path from 'node:path';
import { ROOT } from './support/paths';

/**
 * What ESLint's per-layer rules cannot say: no file in cli/ joins the client and the site
 * (that is the orchestration layer's job), and no hand-written JWT decoding or certificate
 * binding hash stands outside the one function for each.
 */

function sources(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? sources(path.join(dir, e.name)) : e.name.endsWith('.ts') ? [path.join(dir, e.name)] : []));
}

const src = path.join(ROOT, 'src');

test('nothing in cli/ imports both client and site modules', () => {
  const both = sources(path.join(src, 'cli')).filter((file) => {
    const text = fs.readFileSync(file, 'utf8');
    return /from '(\.\.\/)+client\//.test(text) && /from '(\.\.\/)+site\//.test(text);
  });
  expect(both.map((f) => path.relative(ROOT, f))).toEqual([]);
});

test('JWT payloads are decoded and certificate bindings hashed in protocol/jwt.ts alone', () => {
  const offenders = sources(src).filter((file) => {
    if (file.endsWith(path.join('protocol', 'jwt.ts'))) return false;
    const text = fs.readFileSync(file, 'utf8');
    return /split\('\.'\)\[1\]/.test(text) || /createHash\('sha256'\)\.update\([^)]*[Cc]ert[^)]*\)\.digest\('base64url'\)/.test(text);
  });
  expect(offenders.map((f) => path.relative(ROOT, f))).toEqual([]);
});
