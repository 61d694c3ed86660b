// Writes docs/scenarios.md from the catalogue (run by `npm run docs`, after the build).
const fs = require('node:fs');
const path = require('node:path');
const { loadCatalogue } = require('../dist/diagnose/catalogue');
const { catalogueMarkdown } = require('../dist/diagnose/catalogue-markdown');

const target = path.join(__dirname, '..', 'docs', 'scenarios.md');
fs.writeFileSync(target, catalogueMarkdown(loadCatalogue()));
process.stdout.write(`wrote ${path.relative(process.cwd(), target)}\n`);
