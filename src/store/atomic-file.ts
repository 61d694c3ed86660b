import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CcmlabError, isCcmlabError } from '../core/errors';
import { makeDirectory } from './files';

/**
 * State files are replaced whole or not at all: write a temp file beside the target,
 * fsync it, rename it over the target, fsync the directory. Keys and tokens get 0600.
 */
export function writeFileAtomic(file: string, data: string | Buffer, mode = 0o644): void {
  try {
    writeAtomically(file, data, mode);
  } catch (error) {
    if (isCcmlabError(error)) throw error;
    const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    throw new CcmlabError('CCMLAB_E_STATE_WRITE', `${file} cannot be written (${code}); free space or make its directory writable, then run the command again`, { cause: error });
  }
}

function writeAtomically(file: string, data: string | Buffer, mode: number): void {
  const dir = path.dirname(file);
  makeDirectory(dir, { label: 'directory', code: 'CCMLAB_E_STATE_WRITE', fix: 'give a directory that can be created and written to' });
  const temp = path.join(dir, `.${path.basename(file)}.${process.pid}.${crypto.randomBytes(4).toString('hex')}.tmp`);
  const fd = fs.openSync(temp, 'wx', mode);
  try {
    fs.writeFileSync(fd, data);
    fs.fchmodSync(fd, mode);
    fs.fsyncSync(fd);
  } catch (error) {
    fs.closeSync(fd);
    fs.rmSync(temp, { force: true });
    throw error;
  }
  fs.closeSync(fd);
  try {
    fs.renameSync(temp, file);
  } catch (error) {
    fs.rmSync(temp, { force: true });
    throw error;
  }
  syncDirectory(dir);
}

export function syncDirectory(dir: string): void {
  const fd = fs.openSync(dir, 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

export const SECRET_FILE_MODE = 0o600;
