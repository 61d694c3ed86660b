// Lint for ccmlab: typescript-eslint with type information, import order, and the layer
// rules of the developers' brief as no-restricted-imports.
import js from '@eslint/js';
import importX from 'eslint-plugin-import-x';
import tseslint from 'typescript-eslint';

// The layers of src/, top first: no import runs upward (test/architecture.test.ts reads the same
// order from the imports themselves, so it holds whatever this file says).
const NODE_GLOBALS = Object.fromEntries(
  [
    'process',
    'require',
    'module',
    'exports',
    '__dirname',
    '__filename',
    'console',
    'Buffer',
    'setTimeout',
    'clearTimeout',
    'setImmediate',
  ].map((name) => [name, 'readonly']),
);
const LAYERS = [
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
const ORDER = LAYERS.map((layer) => layer.join(', ')).join(' → ');
// Besides every layer above it, what a folder may not import.
const ALSO_FORBIDDEN = {
  client: { site: 'client and site meet only on the wire', diagnose: 'diagnosis reads logs; no role imports it' },
  site: { client: 'client and site meet only on the wire', diagnose: 'diagnosis reads logs; no role imports it' },
  diagnose: {
    client: "diagnosis reads logs as a user's tool does, never a role",
    site: "diagnosis reads logs as a user's tool does, never a role",
    world: 'diagnosis reads logs, not the lab world',
    pki: 'diagnosis reads logs, not certificates',
  },
  protocol: {
    world: 'protocol/ is pure',
    log: 'protocol/ is pure',
    pki: 'protocol/ is pure',
    store: 'protocol/ does no I/O',
  },
  log: { world: 'log/ knows no lab' },
  world: { log: 'the lab world writes no log' },
  pki: { world: 'pki/ knows no lab', log: 'pki/ writes no log' },
};
const rankOf = (folder) => LAYERS.findIndex((layer) => layer.includes(folder));
const folderPattern = (folder, message) => ({ regex: `(^|/)${folder}/`, message });
const IO_MODULES = [
  'fs',
  'node:fs',
  'net',
  'node:net',
  'http',
  'node:http',
  'https',
  'node:https',
  'tls',
  'node:tls',
  'child_process',
  'node:child_process',
  'undici',
  'better-sqlite3',
  'winston',
].map((name) => ({ name, message: 'protocol/ does no I/O' }));
// Files are written, re-moded, renamed and removed through store/ alone (store/file-writes.ts):
// no final link followed, no open that can block, nothing removed through a link.
const RAW_FS_WRITES = [
  'open',
  'writeFile',
  'appendFile',
  'createWriteStream',
  'truncate',
  'chmod',
  'lchmod',
  'chown',
  'lchown',
  'rm',
  'unlink',
  'rename',
  'rmdir',
  'mkdir',
  'copyFile',
  'cp',
  'link',
  'symlink',
  'utimes',
]
  .flatMap((name) => [name, `${name}Sync`])
  .join('|');
const FS_WRITES_MESSAGE =
  'write, re-mode, rename and remove files through src/store/ (openForWrite, writeFileAtomic, removeFile, removeTree, renameEntry, setDirectoryMode, makeDirectory)';
const FS_MODULE = '/^(node:)?fs$/';
const storeOnlyWrites = {
  files: ['src/**/*.ts'],
  ignores: ['src/store/**'],
  rules: {
    'no-restricted-syntax': [
      'error',
      {
        selector: `MemberExpression[object.name='fs'][property.name=/^(${RAW_FS_WRITES})$/]`,
        message: FS_WRITES_MESSAGE,
      },
      {
        selector: `MemberExpression[object.object.name='fs'][object.property.name='promises']`,
        message: FS_WRITES_MESSAGE,
      },
      { selector: `VariableDeclarator[init.name='fs'] > ObjectPattern`, message: FS_WRITES_MESSAGE },
      {
        selector: `ImportDeclaration[source.value=${FS_MODULE}] > ImportSpecifier[imported.name=/^(${RAW_FS_WRITES}|promises)$/]`,
        message: FS_WRITES_MESSAGE,
      },
      {
        selector: `ImportDeclaration[source.value=${FS_MODULE}] > :matches(ImportNamespaceSpecifier, ImportDefaultSpecifier)[local.name!='fs']`,
        message: 'import node:fs as fs: the rule that keeps file writes in src/store/ looks for fs.<call>',
      },
      { selector: `ImportDeclaration[source.value=/^(node:)?fs.promises$/]`, message: FS_WRITES_MESSAGE },
    ],
  },
};
/** One folder's boundary: every layer above it, and what else its layer keeps it from. */
function layerRule(folder) {
  const above = LAYERS.slice(0, rankOf(folder))
    .flat()
    .map((upper) => folderPattern(upper, `${folder}/ may not import ${upper}/, a layer above it (${ORDER})`));
  const also = Object.entries(ALSO_FORBIDDEN[folder] ?? {}).map(([other, why]) =>
    folderPattern(other, `${folder}/ may not import ${other}/: ${why}`),
  );
  const paths = folder === 'protocol' ? IO_MODULES : [];
  return {
    files: [`src/${folder}/**`],
    rules: { 'no-restricted-imports': ['error', { patterns: [...above, ...also], paths }] },
  };
}

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'coverage/', 'lab/', 'logs/', 'fixtures/', 'catalogue/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    plugins: { 'import-x': importX },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: false }],
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' },
      ],
      '@typescript-eslint/no-unused-expressions': ['error', { allowShortCircuit: true }],
      'import-x/order': [
        'error',
        {
          groups: ['builtin', 'external', ['parent', 'sibling', 'index']],
          alphabetize: { order: 'ignore' },
          'newlines-between': 'never',
        },
      ],
      'import-x/no-duplicates': 'error',
      'no-control-regex': 'off',
    },
  },
  // The JavaScript the repository holds (bin/, scripts/, test support, configuration): CommonJS on Node, but this file.
  {
    files: ['**/*.js'],
    languageOptions: { sourceType: 'commonjs', globals: NODE_GLOBALS },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  { files: ['**/*.mjs'], languageOptions: { globals: NODE_GLOBALS } },
  // Tests read JSON documents loosely.
  { files: ['test/**/*.ts'], rules: { '@typescript-eslint/no-explicit-any': 'off' } },
  ...LAYERS.flat().map(layerRule),
  storeOnlyWrites,
);
