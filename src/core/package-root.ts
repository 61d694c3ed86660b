import * as fs from 'node:fs';
import * as path from 'node:path';
import { CcmlabError } from './errors';

/**
 * The folder holding package.json, found by walking up from this module (src/ under ts-jest,
 * dist/ when built): where the shipped catalogue and ccmlab's own programs are.
 */
export function packageRoot(from: string = __dirname): string {
  for (let dir = path.resolve(from); ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, 'package.json'))) return dir;
    if (path.dirname(dir) === dir)
      throw new CcmlabError(
        'CCMLAB_E_CATALOGUE',
        `no package.json above ${from}; run ccmlab from its installed package`,
      );
  }
}
