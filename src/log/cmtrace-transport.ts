import * as fs from 'node:fs';
import * as path from 'node:path';
import Transport from 'winston-transport';
import type { Clock } from '../core/clock';
import { CcmlabError, isCcmlabError } from '../core/errors';
import { PUBLIC_DIR_MODE, PUBLIC_FILE_MODE } from '../store/atomic-file';
import { openForWrite, refuseIfNotRegular, removeFile, renameEntry } from '../store/file-writes';
import { makeDirectory, type FileRole } from '../store/files';
import { formatCmTraceLine, historyStamp, type CmTraceEntry } from './cmtrace-format';
import { nextHistoryPath, listHistoryFiles, type RolloverStyle } from './log-files';

export interface CmTraceFileOptions {
  dir: string;
  /** Base name: `ClientLocation` writes ClientLocation.log. */
  name: string;
  rollover: RolloverStyle;
  maxSize: number;
  /** History files kept (client style only); 0 keeps none. */
  maxHistory: number;
  clock: Clock;
}

/** What the winston logger hands the transport: the entry itself, and winston's level (see logger.ts). */
export interface CmTraceInfo extends CmTraceEntry {
  level: string;
}

export const LOG_DIR_ROLE: FileRole = {
  label: 'log directory',
  code: 'CCMLAB_E_LOG_DIR',
  fix: 'give a --log-dir that can be created and written to',
};
/** A log file, and the older files it rolls over to. */
const LOG_FILE_ROLE: FileRole = {
  label: 'log file',
  code: 'CCMLAB_E_LOG_WRITE',
  fix: 'remove what is in its place, free space, or give another --log-dir',
};

/**
 * Refuses, before the first line, a log whose name is taken by anything but a regular file
 * (a link, a pipe, a device, a directory): the open refuses it too, but only at the first
 * line, which may come after the command has changed something.
 */
export function checkLogFile(file: string): void {
  refuseIfNotRegular(file, LOG_FILE_ROLE);
}

function writeFailure(file: string, error: unknown): CcmlabError {
  if (isCcmlabError(error)) return error;
  const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
  return new CcmlabError(
    'CCMLAB_E_LOG_WRITE',
    `log file ${file} cannot be written (${code}); free space or give a --log-dir that can be written to`,
    { cause: error },
  );
}

/**
 * Writes each line synchronously, so a line logged is on disk when log() returns and
 * a rollover can neither lose nor repeat one (winston's File transport drops lines at
 * rotation and cannot name `.lo_` files).
 */
export class CmTraceFileTransport extends Transport {
  readonly filePath: string;
  private readonly options: CmTraceFileOptions;
  private fd: number | undefined;
  private size = 0;
  /**
   * The first write that failed. A throw inside log() would break winston's stream (no
   * later line, no 'finish'), so the failure is kept here for CmLog to report.
   */
  failure: CcmlabError | undefined;

  constructor(options: CmTraceFileOptions) {
    super();
    this.options = options;
    this.filePath = path.join(options.dir, `${options.name}.log`);
  }

  override log(info: CmTraceInfo, callback: () => void): void {
    if (!this.failure) {
      try {
        this.writeLine(formatCmTraceLine(info), info.time);
      } catch (error) {
        this.failure = writeFailure(this.filePath, error);
      }
    }
    // The line is written: the stream may finish the write now rather than on a later tick
    // (winston marks its own synchronous writes so, too).
    (this as unknown as { _writableState: { sync: boolean } })._writableState.sync = false;
    callback();
  }

  writeLine(line: string, time: Date): void {
    // Node encodes a short string for the write itself: a Buffer of it would be a second copy.
    const bytes = Buffer.byteLength(line, 'utf8');
    if (this.fd === undefined) this.open();
    if (this.size > 0 && this.size + bytes > this.options.maxSize) {
      this.rollOver(time);
      this.open();
    }
    fs.writeSync(this.fd as number, line, null, 'utf8');
    this.size += bytes;
  }

  override close(): void {
    const fd = this.fd;
    this.fd = undefined;
    if (fd === undefined) return;
    try {
      fs.closeSync(fd);
    } catch (error) {
      this.failure ??= writeFailure(this.filePath, error);
    }
  }

  private open(): void {
    makeDirectory(this.options.dir, LOG_DIR_ROLE, PUBLIC_DIR_MODE);
    // The mode applies when the log is created; the umask can only narrow it.
    this.fd = openForWrite(this.filePath, 'append', PUBLIC_FILE_MODE, LOG_FILE_ROLE);
    this.size = fs.fstatSync(this.fd).size;
  }

  /** Renames and removals replace or remove the entries themselves: a link among the older files goes, its target stays. */
  private rollOver(time: Date): void {
    this.close();
    const { dir, name, rollover, maxHistory } = this.options;
    if (rollover === 'lo_') {
      renameEntry(this.filePath, path.join(dir, `${name}.lo_`), LOG_FILE_ROLE);
      return;
    }
    if (maxHistory <= 0) {
      removeFile(this.filePath, LOG_FILE_ROLE);
      return;
    }
    renameEntry(this.filePath, nextHistoryPath(dir, name, historyStamp(time)), LOG_FILE_ROLE);
    const history = listHistoryFiles(dir, name);
    for (const old of history.slice(0, Math.max(0, history.length - maxHistory))) removeFile(old.path, LOG_FILE_ROLE);
  }
}
