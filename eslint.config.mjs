// Lint for ccmlab: typescript-eslint with type information, import order, and the layer
// rules of the developers' brief as no-restricted-imports.
import js from '@eslint/js';
import importX from 'eslint-plugin-import-x';
import tseslint from 'typescript-eslint';

const layer = (regex, message) => ({ regex, message });
const ROLES = {
  client: layer('(^|/)client/', 'client and site meet only on the wire: this layer may not import the client'),
  site: layer('(^|/)site/', 'client and site meet only on the wire: this layer may not import the site'),
  cli: layer('(^|/)cli/', 'roles never import cli/'),
  lab: layer('(^|/)(lab|fleet|scenarios)/', 'roles never import the orchestration layer (lab/, fleet/, scenarios/)'),
  log: layer('(^|/)log/', 'this layer may not import log/'),
  store: layer('(^|/)store/', 'protocol/ does no I/O'),
  world: layer('(^|/)world/', 'this layer may not import the lab world'),
  pki: layer('(^|/)pki/', 'this layer may not import pki/'),
  diagnose: layer('(^|/)diagnose/', 'diagnosis reads logs; only cli/ (and the orchestration layer) may import it'),
};
const IO_MODULES = ['fs', 'node:fs', 'net', 'node:net', 'http', 'node:http', 'https', 'node:https', 'tls', 'node:tls', 'child_process', 'node:child_process', 'undici', 'better-sqlite3', 'winston'].map((name) => ({ name, message: 'protocol/ does no I/O' }));
// Files are written, re-moded, renamed and removed through store/ alone (store/file-writes.ts):
// no final link followed, no open that can block, nothing removed through a link.
const RAW_FS_WRITES = [
  'open', 'writeFile', 'appendFile', 'createWriteStream', 'truncate', 'chmod', 'lchmod', 'chown', 'lchown',
  'rm', 'unlink', 'rename', 'rmdir', 'mkdir', 'copyFile', 'cp', 'link', 'symlink', 'utimes',
].flatMap((name) => [name, `${name}Sync`]).join('|');
const FS_WRITES_MESSAGE = 'write, re-mode, rename and remove files through src/store/ (openForWrite, writeFileAtomic, removeFile, removeTree, renameEntry, setDirectoryMode, makeDirectory)';
const FS_MODULE = '/^(node:)?fs$/';
const storeOnlyWrites = {
  files: ['src/**/*.ts'],
  ignores: ['src/store/**'],
  rules: {
    'no-restricted-syntax': [
      'error',
      { selector: `MemberExpression[object.name='fs'][property.name=/^(${RAW_FS_WRITES})$/]`, message: FS_WRITES_MESSAGE },
      { selector: `MemberExpression[object.object.name='fs'][object.property.name='promises']`, message: FS_WRITES_MESSAGE },
      { selector: `VariableDeclarator[init.name='fs'] > ObjectPattern`, message: FS_WRITES_MESSAGE },
      { selector: `ImportDeclaration[source.value=${FS_MODULE}] > ImportSpecifier[imported.name=/^(${RAW_FS_WRITES}|promises)$/]`, message: FS_WRITES_MESSAGE },
      { selector: `ImportDeclaration[source.value=${FS_MODULE}] > :matches(ImportNamespaceSpecifier, ImportDefaultSpecifier)[local.name!='fs']`, message: 'import node:fs as fs: the rule that keeps file writes in src/store/ looks for fs.<call>' },
      { selector: `ImportDeclaration[source.value=/^(node:)?fs.promises$/]`, message: FS_WRITES_MESSAGE },
    ],
  },
};
const restrict = (files, patterns, paths = []) => ({ files, rules: { 'no-restricted-imports': ['error', { patterns, paths }] } });

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'coverage/', 'lab/', 'logs/', 'test/support/*.js', 'jest.config.js', 'bin/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    plugins: { 'import-x': importX },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: false }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      '@typescript-eslint/no-unused-expressions': ['error', { allowShortCircuit: true }],
      'import-x/order': ['error', { groups: ['builtin', 'external', ['parent', 'sibling', 'index']], alphabetize: { order: 'ignore' }, 'newlines-between': 'never' }],
      'import-x/no-duplicates': 'error',
      'no-control-regex': 'off',
    },
  },
  // Tests read JSON documents loosely.
  { files: ['test/**/*.ts'], rules: { '@typescript-eslint/no-explicit-any': 'off' } },
  restrict(['src/client/**'], [ROLES.site, ROLES.cli, ROLES.lab, ROLES.diagnose]),
  restrict(['src/site/**'], [ROLES.client, ROLES.cli, ROLES.lab, ROLES.diagnose]),
  restrict(['src/protocol/**'], [ROLES.client, ROLES.site, ROLES.cli, ROLES.lab, ROLES.log, ROLES.store, ROLES.world, ROLES.pki, ROLES.diagnose], IO_MODULES),
  restrict(['src/log/**'], [ROLES.client, ROLES.site, ROLES.cli, ROLES.lab, ROLES.world, ROLES.diagnose]),
  restrict(['src/core/**', 'src/store/**', 'src/pki/**'], [ROLES.client, ROLES.site, ROLES.cli, ROLES.lab, ROLES.world, ROLES.log, ROLES.diagnose]),
  restrict(['src/world/**'], [ROLES.client, ROLES.site, ROLES.cli, ROLES.lab, ROLES.log, ROLES.diagnose]),
  // Diagnosis reads logs as a user's tool does: core, store and log/ only, never a role or the lab.
  restrict(['src/diagnose/**'], [ROLES.client, ROLES.site, ROLES.cli, ROLES.lab, ROLES.world, ROLES.pki]),
  restrict(['src/lab/**', 'src/fleet/**', 'src/scenarios/**'], [ROLES.cli]),
  storeOnlyWrites,
);
