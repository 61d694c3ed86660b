// Jest's globalSetup: the tests that run real processes run bin/*.js, which load dist/. A dist/
// older than src/ (an edit since the last build, then `npx jest …`) is rebuilt first, so no test
// runs a stale build. After `npm test`'s own build this is one walk of both trees.
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.join(__dirname, '..', '..');
const SRC = path.join(ROOT, 'src');
const DIST = path.join(ROOT, 'dist');

/** Every .ts file under `dir`, relative to it. */
function sources(dir, prefix = '') {
  return fs.readdirSync(path.join(dir, prefix), { withFileTypes: true }).flatMap((entry) => {
    const relative = path.join(prefix, entry.name);
    if (entry.isDirectory()) return sources(dir, relative);
    return entry.name.endsWith('.ts') ? [relative] : [];
  });
}

/** The first source under `src` whose compiled file under `dist` is missing or older than it, if any. */
function staleSource(src, dist) {
  return sources(src).find((relative) => {
    const built = path.join(dist, relative.replace(/\.ts$/, '.js'));
    return !fs.existsSync(built) || fs.statSync(built).mtimeMs < fs.statSync(path.join(src, relative)).mtimeMs;
  });
}

module.exports = function freshBuild() {
  const stale = staleSource(SRC, DIST);
  if (stale === undefined) return;
  process.stderr.write(`\ndist/ is older than src/${stale}: building first (npm run build)\n`);
  execFileSync(
    process.execPath,
    [require.resolve('typescript/bin/tsc'), '-p', path.join(ROOT, 'tsconfig.build.json')],
    {
      cwd: ROOT,
      stdio: ['ignore', 'inherit', 'inherit'],
    },
  );
};
module.exports.staleSource = staleSource;
