import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseCmTrace } from '../../src/log/cmtrace-parse';
import { ROOT } from './paths';

/**
 * What gives a CMTrace log away as the emulator's rather than a Windows machine's: the
 * emulator's name, the host's platform or Node's version, a host path (the usual POSIX roots,
 * the test's temp folder and the repository, wherever they are).
 */
const EMULATOR_WORDS: readonly RegExp[] = [
  /ccmlab/i,
  /\bv?\d+\.\d+\.\d+\b.*node|node v?\d+/i,
  /linux/i,
  /(^|[\s'"(=<])\/(tmp|work|home|root|usr|var|proc|dev|etc|run|opt|srv|mnt)\//,
];
const HOST_PATHS = [os.tmpdir(), ROOT];

function logFiles(dir: string): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && /\.(log|lo_)$/i.test(e.name))
    .map((e) => path.join(e.parentPath, e.name));
}

/** Every field of every record in the logs under `dir` that carries an emulator word, as `file: field: value`. */
export function emulatorWordsIn(dir: string): string[] {
  const found: string[] = [];
  let records = 0;
  for (const file of logFiles(dir)) {
    for (const entry of parseCmTrace(fs.readFileSync(file, 'utf8')).entries) {
      records++;
      const fields = { message: entry.message, component: entry.component, context: entry.context, file: entry.file };
      for (const [field, value] of Object.entries(fields)) {
        if (EMULATOR_WORDS.some((word) => word.test(value)) || HOST_PATHS.some((p) => value.includes(p)))
          found.push(`${path.relative(dir, file)}: ${field}: ${value}`);
      }
    }
  }
  // Nothing read would pass any check: a folder without logs is the caller's mistake.
  if (records === 0) throw new Error(`no CMTrace record under ${dir}`);
  return found;
}
