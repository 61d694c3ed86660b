import * as fs from 'node:fs';
import * as path from 'node:path';
import * as ts from 'typescript';
import { removeDir, ROOT, tempDir } from './support/paths';

/**
 * The layers of src/, read from the imports themselves (so they hold whatever the lint config
 * says): from the top, cli → bench → scenarios → fleet → orchestration → client, site,
 * diagnose → world, log, pki, protocol → store → core. No import runs upward; folders of one
 * layer import each other only where the table below allows (client and site meet only on the
 * wire). Also what ESLint's per-layer rules cannot say: no file in cli/ joins the client and
 * the site, and no hand-written JWT decoding or certificate binding hash stands outside the one
 * function for each.
 */

function sources(dir: string): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .flatMap((e) =>
      e.isDirectory() ? sources(path.join(dir, e.name)) : e.name.endsWith('.ts') ? [path.join(dir, e.name)] : [],
    );
}

const src = path.join(ROOT, 'src');

/** The layers, top first. */
const LAYERS: readonly (readonly string[])[] = [
  ['cli'],
  ['bench'],
  ['scenarios'],
  ['fleet'],
  ['orchestration'],
  ['client', 'site', 'diagnose'],
  ['world', 'log', 'pki', 'protocol'],
  ['store'],
  ['core'],
];

/** Besides every layer above it, what each folder may not import (folders of its own layer, and the lower layers pure code may not reach). */
const ALSO_FORBIDDEN: Readonly<Record<string, readonly string[]>> = {
  client: ['site', 'diagnose'],
  site: ['client', 'diagnose'],
  // Diagnosis reads logs as a user's tool does.
  diagnose: ['client', 'site', 'world', 'pki'],
  // protocol/ is pure: no I/O, no lab, no logs, no certificates.
  protocol: ['world', 'log', 'pki', 'store'],
  log: ['world'],
  world: ['log'],
  pki: ['world', 'log'],
};

const IO_MODULES = ['fs', 'net', 'http', 'https', 'tls', 'child_process', 'undici', 'better-sqlite3', 'winston'];

const rank = (folder: string): number => LAYERS.findIndex((layer) => layer.includes(folder));

/** Why `from` may not import `to` (both folders of src/), or undefined when it may. */
export function forbiddenImport(from: string, to: string): string | undefined {
  if (from === to) return undefined;
  if (rank(to) < 0) return `${to}/ is not a layer`;
  if (rank(to) < rank(from)) return `${to}/ is a layer above ${from}/`;
  if (ALSO_FORBIDDEN[from]?.includes(to)) return `${from}/ may not import ${to}/`;
  if (rank(to) === rank(from)) return `${to}/ is in ${from}/'s own layer and not one it may import`;
  return undefined;
}

interface Import {
  file: string;
  specifier: string;
}

/** Every module a file names: import and export declarations, import types, require() and import() calls. */
function importsOf(file: string): Import[] {
  const info = ts.preProcessFile(fs.readFileSync(file, 'utf8'), true, true);
  return info.importedFiles.map((f) => ({ file, specifier: f.fileName }));
}

/** The import's src/ folder, or undefined for a package or a module of Node. */
function folderOf(imported: Import): string | undefined {
  if (!imported.specifier.startsWith('.')) return undefined;
  const target = path.relative(src, path.resolve(path.dirname(imported.file), imported.specifier));
  return target.startsWith('..') ? '(outside src/)' : target.split(path.sep)[0];
}

const folderOfFile = (file: string): string => path.relative(src, file).split(path.sep)[0];

/** Each import of `files` that runs against the order, said as `file: specifier (why)`. */
function offendingImports(files: readonly string[]): string[] {
  return files.flatMap((file) =>
    importsOf(file).flatMap((imported) => {
      const from = folderOfFile(file);
      const to = folderOf(imported);
      const module = imported.specifier.replace(/^node:/, '');
      const why =
        to !== undefined
          ? forbiddenImport(from, to)
          : from === 'protocol' && IO_MODULES.includes(module)
            ? 'protocol/ does no I/O'
            : undefined;
      return why ? [`${path.relative(ROOT, file)}: ${imported.specifier} (${why})`] : [];
    }),
  );
}

test('src/ holds the role folders and the one orchestration folder, nothing else', () => {
  const entries = fs.readdirSync(src, { withFileTypes: true }).map((e) => (e.isDirectory() ? `${e.name}/` : e.name));
  expect(entries.sort()).toEqual(
    LAYERS.flat()
      .map((folder) => `${folder}/`)
      .sort(),
  );
});

test('no file under src/ imports a layer above its own, or a folder its layer keeps it from', () => {
  const files = sources(src);
  expect(files.length).toBeGreaterThan(100);
  expect(offendingImports(files)).toEqual([]);
});

test('the order, read the way the imports are checked: each boundary in both directions', () => {
  for (const [from, to] of [
    ['bench', 'cli'],
    ['scenarios', 'bench'],
    ['fleet', 'scenarios'],
    ['orchestration', 'fleet'],
    ['client', 'orchestration'],
    ['site', 'orchestration'],
    ['diagnose', 'orchestration'],
    ['world', 'client'],
    ['log', 'site'],
    ['pki', 'site'],
    ['protocol', 'client'],
    ['store', 'world'],
    ['store', 'pki'],
    ['core', 'store'],
  ]) {
    expect([from, to, forbiddenImport(from, to)]).toEqual([from, to, `${to}/ is a layer above ${from}/`]);
    expect([to, from, forbiddenImport(to, from)]).toEqual([to, from, undefined]);
  }
  for (const [from, to] of [
    ['client', 'site'],
    ['site', 'client'],
    ['diagnose', 'world'],
    ['protocol', 'store'],
    ['log', 'world'],
    ['world', 'log'],
    ['pki', 'log'],
  ])
    expect(forbiddenImport(from, to)).toBeDefined();
  expect(forbiddenImport('site', 'lab')).toBe('lab/ is not a layer');
});

test('the reader finds every kind of import (a parser change that hid them would pass vacuously)', () => {
  const dir = tempDir();
  const file = path.join(dir, 'probe.ts');
  try {
    fs.writeFileSync(
      file,
      "import { a } from './a';\nimport type { B } from '../b';\nexport * from './c';\nconst d = require('./d');\nvoid import('./e');\nimport f = require('./f');\n",
    );
    expect(importsOf(file).map((i) => i.specifier)).toEqual(['./a', '../b', './c', './d', './e', './f']);
  } finally {
    removeDir(dir);
  }
});

test('nothing in cli/ imports both client and site modules', () => {
  const both = sources(path.join(src, 'cli')).filter((file) => {
    const folders = new Set(importsOf(file).map(folderOf));
    return folders.has('client') && folders.has('site');
  });
  expect(both.map((f) => path.relative(ROOT, f))).toEqual([]);
});

test('JWT payloads are decoded and certificate bindings hashed in protocol/jwt.ts alone', () => {
  const offenders = sources(src).filter((file) => {
    if (file.endsWith(path.join('protocol', 'jwt.ts'))) return false;
    const text = fs.readFileSync(file, 'utf8');
    return (
      /split\('\.'\)\[1\]/.test(text) ||
      /createHash\('sha256'\)\.update\([^)]*[Cc]ert[^)]*\)\.digest\('base64url'\)/.test(text)
    );
  });
  expect(offenders.map((f) => path.relative(ROOT, f))).toEqual([]);
});
