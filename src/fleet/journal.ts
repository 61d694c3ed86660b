import * as fs from 'node:fs';
import { CcmlabError } from '../core/errors';
import type { EnrollPhase } from '../client/enroll';
import { openForWrite } from '../store/file-writes';
import { errnoOf, openForRead, type FileRole } from '../store/files';
import { MAX_CLIENTS } from './limits';

/**
 * The fleet's journal, `<fleet dir>/journal.jsonl`: one JSON record a line, appended, never
 * rewritten. A client's `enrolled` record is its commit point: it is appended once the
 * client's state is on disk, and a rerun skips exactly the clients it names. `failed`
 * records say what went wrong; a failed client is tried again by the next run. A line torn
 * by a crash (no newline yet) was never committed: replay ignores it and the next writer
 * cuts it off. Appends are made durable in groups: one fsync covers every record appended
 * before it started, however many clients wait on it.
 */

export type PhaseMs = Partial<Record<EnrollPhase, number>>;

export type JournalRecord =
  | { type: 'enrolled'; n: number; name: string; smsid: string; at: string; ms: PhaseMs }
  | { type: 'failed'; n: number; name: string; code: string; message: string; at: string };

export const JOURNAL_FILE = 'journal.jsonl';
const MAX_LINE_BYTES = 16 * 1024;
const MAX_JOURNAL_BYTES = 512 * 1024 * 1024;
const CHUNK_BYTES = 64 * 1024;

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A journal line as this ccmlab writes it, or undefined. */
export function parseRecord(line: string): JournalRecord | undefined {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (
    !isObject(value) ||
    !Number.isSafeInteger(value.n) ||
    (value.n as number) < 1 ||
    (value.n as number) > MAX_CLIENTS
  )
    return undefined;
  if (typeof value.name !== 'string' || typeof value.at !== 'string') return undefined;
  if (value.type === 'enrolled' && typeof value.smsid === 'string' && isObject(value.ms)) return value as JournalRecord;
  if (value.type === 'failed' && typeof value.code === 'string' && typeof value.message === 'string')
    return value as JournalRecord;
  return undefined;
}

/** Which client numbers are enrolled: one bit each, whatever the fleet's size. */
export class EnrolledSet {
  private readonly bits = new Uint8Array(Math.ceil((MAX_CLIENTS + 1) / 8));
  size = 0;

  add(n: number): void {
    if (this.has(n)) return;
    this.bits[n >> 3] |= 1 << (n & 7);
    this.size++;
  }

  has(n: number): boolean {
    return (this.bits[n >> 3] & (1 << (n & 7))) !== 0;
  }
}

/** The clients from 1 to `count` that a run still has to enroll, in order. */
export function* pendingClients(count: number, enrolled: EnrolledSet): Generator<number> {
  for (let n = 1; n <= count; n++) if (!enrolled.has(n)) yield n;
}

/** What a rerun needs from the journal: the enrolled clients, and where the last whole line ends. */
export interface Replay {
  enrolled: EnrolledSet;
  failures: number;
  /** Bytes up to the end of the last complete line: what follows is a torn append. */
  committedBytes: number;
}

function damaged(file: string, why: string): never {
  throw new CcmlabError(
    'CCMLAB_E_FLEET_DIR',
    `the fleet journal ${file} ${why}; repair or remove that line, or enroll into another --fleet-dir`,
  );
}

const JOURNAL_READ: FileRole = {
  label: 'the fleet journal',
  code: 'CCMLAB_E_FLEET_DIR',
  fix: 'remove it, or enroll into another --fleet-dir',
};
const JOURNAL_WRITE: FileRole = {
  label: 'the fleet journal',
  code: 'CCMLAB_E_STATE_WRITE',
  fix: 'free space or make the fleet dir writable, then run again',
};

/**
 * Reads the journal in bounded chunks, a record at a time; a missing journal is an empty one.
 * A journal that is a link (or a pipe, a device) is refused here, before the run changes
 * anything: the writer would refuse it too, but only once clients are enrolling.
 */
export function replayJournal(file: string): Replay {
  const replay: Replay = { enrolled: new EnrolledSet(), failures: 0, committedBytes: 0 };
  let fd: number;
  try {
    fd = openForRead(file, JOURNAL_READ, { follow: false });
  } catch (error) {
    if (errnoOf(error) === 'ENOENT') return replay;
    throw error;
  }
  try {
    const stat = fs.fstatSync(fd);
    if (stat.nlink > 1)
      damaged(
        file,
        `is a hard link to a file with ${stat.nlink - 1} other name(s), which ccmlab does not write through`,
      );
    if (stat.size > MAX_JOURNAL_BYTES)
      damaged(file, `is ${stat.size} bytes, more than the ${MAX_JOURNAL_BYTES} allowed`);
    readLines(fd, file, (line, end) => {
      const record = parseRecord(line);
      if (!record) damaged(file, `has a line that is not a fleet record at byte ${end - Buffer.byteLength(line) - 1}`);
      if (record.type === 'enrolled') replay.enrolled.add(record.n);
      else replay.failures++;
      replay.committedBytes = end;
    });
  } finally {
    fs.closeSync(fd);
  }
  return replay;
}

/** Calls `onLine` for every newline-terminated line with the byte offset just past its newline. */
function readLines(fd: number, file: string, onLine: (line: string, end: number) => void): void {
  const chunk = Buffer.allocUnsafe(CHUNK_BYTES);
  let pending = Buffer.alloc(0);
  let offset = 0;
  for (let n = fs.readSync(fd, chunk, 0, CHUNK_BYTES, null); n > 0; n = fs.readSync(fd, chunk, 0, CHUNK_BYTES, null)) {
    let data = Buffer.concat([pending, chunk.subarray(0, n)]);
    for (let newline = data.indexOf(10); newline >= 0; newline = data.indexOf(10)) {
      offset += newline + 1;
      onLine(data.subarray(0, newline).toString('utf8'), offset);
      data = data.subarray(newline + 1);
    }
    if (data.length > MAX_LINE_BYTES) damaged(file, `has a line longer than ${MAX_LINE_BYTES} bytes at byte ${offset}`);
    pending = Buffer.from(data);
  }
}

/** Appends records to the journal; `flush` resolves once every record appended before it is on disk. */
export class JournalWriter {
  private readonly fd: number;
  private appended = 0;
  private synced = 0;
  private syncing: Promise<void> | undefined;

  /** Opens for append (a link, pipe or device in its place refused), cutting off a torn last line first (it was never committed). */
  constructor(
    readonly file: string,
    committedBytes: number,
  ) {
    this.fd = openForWrite(file, 'append', 0o600, JOURNAL_WRITE);
    try {
      fs.fchmodSync(this.fd, 0o600);
      if (fs.fstatSync(this.fd).size > committedBytes) fs.ftruncateSync(this.fd, committedBytes);
    } catch (error) {
      fs.closeSync(this.fd);
      throw this.failure(error);
    }
  }

  private failure(error: unknown): CcmlabError {
    const code = (error as NodeJS.ErrnoException).code ?? String(error);
    return new CcmlabError(
      'CCMLAB_E_STATE_WRITE',
      `the fleet journal ${this.file} cannot be written (${code}); free space or make the fleet dir writable, then run again`,
      { cause: error },
    );
  }

  append(record: JournalRecord): void {
    try {
      fs.writeSync(this.fd, `${JSON.stringify(record)}\n`);
    } catch (error) {
      throw this.failure(error);
    }
    this.appended++;
  }

  async flush(): Promise<void> {
    const target = this.appended;
    while (this.synced < target) {
      if (!this.syncing) {
        const upTo = this.appended;
        this.syncing = new Promise<void>((resolve, reject) =>
          fs.fsync(this.fd, (error) => (error ? reject(this.failure(error)) : resolve())),
        )
          .then(() => {
            this.synced = Math.max(this.synced, upTo);
          })
          .finally(() => {
            this.syncing = undefined;
          });
      }
      await this.syncing;
    }
  }

  close(): void {
    fs.closeSync(this.fd);
  }
}
