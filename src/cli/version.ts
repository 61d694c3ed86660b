import * as fs from 'node:fs';
import * as path from 'node:path';

/** `NAME VERSION`, the version from package.json (two levels above src/cli and dist/cli). */
export function versionLine(name: string): string {
  const file = path.join(__dirname, '..', '..', 'package.json');
  const { version } = JSON.parse(fs.readFileSync(file, 'utf8')) as { version: string };
  return `${name} ${version}`;
}
