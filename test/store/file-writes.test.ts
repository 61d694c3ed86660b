import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { writeFileAtomic } from '../../src/store/atomic-file';
import {
  openForWrite,
  refuseIfNotRegular,
  refuseLinksBelow,
  removeFile,
  removeTree,
  renameEntry,
  setDirectoryMode,
  writeNewFile,
} from '../../src/store/file-writes';
import { openForRead } from '../../src/store/files';

/**
 * Writes and removals in directories others may share: no final link followed, no open that
 * blocks, anything but a regular file with one name refused on its descriptor, and nothing
 * removed through a link. A character device (/dev/null) stands in for every special file:
 * the refusal is one fstat check for all of them; a FIFO is tested too where mkfifo exists.
 */

const role = { label: 'test file', code: 'CCMLAB_E_LOG_WRITE', fix: 'give another one' } as const;
const onPosix = process.platform === 'win32' ? test.skip : test;

let dir: string;
let outside: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ccmlab-file-writes-'));
  outside = fs.mkdtempSync(path.join(os.tmpdir(), 'ccmlab-outside-'));
});
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
  fs.rmSync(outside, { recursive: true, force: true });
});

/** A file outside `dir` that nothing may change: its bytes and mode, to compare after. */
function victim(name = 'victim.txt'): { file: string; unchanged: () => void } {
  const file = path.join(outside, name);
  fs.writeFileSync(file, 'outside data\n{"torn');
  fs.chmodSync(file, 0o644);
  return {
    file,
    unchanged: () => {
      expect(fs.readFileSync(file, 'utf8')).toBe('outside data\n{"torn');
      expect(fs.statSync(file).mode & 0o777).toBe(0o644);
    },
  };
}

/** A FIFO at `file` if this system has mkfifo; false otherwise (Node cannot make one). */
function makeFifo(file: string): boolean {
  return spawnSync('mkfifo', [file], { stdio: 'ignore' }).status === 0;
}

function expectRefused(action: () => unknown, pattern: RegExp): void {
  expect(action).toThrow(
    expect.objectContaining({ code: 'CCMLAB_E_LOG_WRITE', message: expect.stringMatching(pattern) }),
  );
}

describe('openForWrite', () => {
  test('appends to a regular file, made with the mode given when missing', () => {
    const file = path.join(dir, 'a.log');
    for (const line of ['one\n', 'two\n']) {
      const fd = openForWrite(file, 'append', 0o640, role);
      fs.writeSync(fd, line);
      fs.closeSync(fd);
    }
    expect(fs.readFileSync(file, 'utf8')).toBe('one\ntwo\n');
    expect(fs.statSync(file).mode & 0o777).toBe(0o640 & ~process.umask());
  });

  onPosix('a link to a file outside is refused, not followed: the file outside keeps its bytes and mode', () => {
    const { file, unchanged } = victim();
    const link = path.join(dir, 'ccmsetup.log');
    fs.symlinkSync(file, link);
    expectRefused(
      () => openForWrite(link, 'append', 0o600, role),
      /^test file .*ccmsetup\.log is a symbolic link, which ccmlab does not follow here; give another one$/,
    );
    expectRefused(() => openForWrite(link, 'create', 0o600, role), /ccmsetup\.log already exists/);
    unchanged();
  });

  onPosix('a character device, named or linked to, is refused on its descriptor', () => {
    expectRefused(
      () => openForWrite('/dev/null', 'append', 0o600, role),
      /^test file \/dev\/null is a character device, not a regular file; give another one$/,
    );
    const link = path.join(dir, 'x.log');
    fs.symlinkSync('/dev/null', link);
    expectRefused(() => openForWrite(link, 'append', 0o600, role), /x\.log is a symbolic link/);
  });

  onPosix('a FIFO is refused at once, with or without a reader (where mkfifo exists)', () => {
    const fifo = path.join(dir, 'fifo.log');
    if (!makeFifo(fifo)) return;
    expectRefused(() => openForWrite(fifo, 'append', 0o600, role), /fifo\.log is a pipe, not a regular file/);
    // With a reader the open succeeds: the descriptor's fstat refuses it.
    const reader = fs.openSync(fifo, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
    try {
      expectRefused(() => openForWrite(fifo, 'append', 0o600, role), /fifo\.log is a pipe, not a regular file/);
    } finally {
      fs.closeSync(reader);
    }
    expect(() => openForRead(fifo, role)).toThrow(/fifo\.log is a pipe, not a regular file/);
  });

  test('a directory, and a file with another hard link, are refused', () => {
    fs.mkdirSync(path.join(dir, 'd.log'));
    expectRefused(
      () => openForWrite(path.join(dir, 'd.log'), 'append', 0o600, role),
      /d\.log is a directory, not a regular file/,
    );
    const { file, unchanged } = victim();
    fs.linkSync(file, path.join(dir, 'hard.log'));
    expectRefused(
      () => openForWrite(path.join(dir, 'hard.log'), 'append', 0o600, role),
      /hard\.log is a hard link to a file with 1 other name/,
    );
    unchanged();
  });

  test('create makes a new file with exactly its mode, and refuses a name that is there', () => {
    const file = path.join(dir, 'new.pem');
    writeNewFile(file, 'data', 0o600, role);
    expect(fs.readFileSync(file, 'utf8')).toBe('data');
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expectRefused(() => writeNewFile(file, 'again', 0o600, role), /new\.pem already exists/);
  });

  onPosix('refuseIfNotRegular passes a missing or regular file and refuses a link or a device', () => {
    expect(() => refuseIfNotRegular(path.join(dir, 'missing.log'), role)).not.toThrow();
    fs.writeFileSync(path.join(dir, 'plain.log'), '');
    expect(() => refuseIfNotRegular(path.join(dir, 'plain.log'), role)).not.toThrow();
    fs.symlinkSync(path.join(dir, 'plain.log'), path.join(dir, 'link.log'));
    expectRefused(() => refuseIfNotRegular(path.join(dir, 'link.log'), role), /link\.log is a symbolic link/);
    expectRefused(() => refuseIfNotRegular('/dev/null', role), /\/dev\/null is a character device/);
  });
});

describe('removals never reach through a link', () => {
  onPosix('removeFile removes a link itself, never its target; a missing file is false; a directory is refused', () => {
    const { file, unchanged } = victim();
    const link = path.join(dir, 'token.jwt');
    fs.symlinkSync(file, link);
    expect(removeFile(link, role)).toBe(true);
    expect(fs.existsSync(link)).toBe(false);
    unchanged();
    expect(removeFile(link, role)).toBe(false);
    fs.mkdirSync(path.join(dir, 'certs'));
    expectRefused(() => removeFile(path.join(dir, 'certs'), role), /certs is a directory/);
  });

  onPosix('removeTree removes a link to a directory, not the directory; and no link inside a tree is followed', () => {
    const kept = path.join(outside, 'kept');
    fs.mkdirSync(kept);
    fs.writeFileSync(path.join(kept, 'data'), 'x');
    fs.symlinkSync(kept, path.join(dir, 'certs'));
    expect(removeTree(path.join(dir, 'certs'), role, dir)).toBe(true);
    const tree = path.join(dir, 'tree');
    fs.mkdirSync(path.join(tree, 'sub'), { recursive: true });
    fs.symlinkSync(kept, path.join(tree, 'sub', 'link'));
    expect(removeTree(tree, role, dir)).toBe(true);
    expect(fs.existsSync(tree)).toBe(false);
    expect(fs.readdirSync(kept)).toEqual(['data']);
    expect(removeTree(tree, role, dir)).toBe(false);
  });

  onPosix('removeTree refuses a link planted between the directory the caller owns and the target', () => {
    const elsewhere = path.join(outside, 'CLIENT01');
    fs.mkdirSync(elsewhere);
    fs.writeFileSync(path.join(elsewhere, 'keep.txt'), 'x');
    fs.mkdirSync(path.join(dir, 'logs'));
    fs.symlinkSync(outside, path.join(dir, 'logs', 'clients'));
    expectRefused(
      () => removeTree(path.join(dir, 'logs', 'clients', 'CLIENT01'), role, dir),
      /logs\/clients is a symbolic link, which ccmlab does not write or remove through/,
    );
    expect(fs.readdirSync(elsewhere)).toEqual(['keep.txt']);
    expect(() => refuseLinksBelow(dir, path.join(dir, 'logs', 'clients'), role)).toThrow(/symbolic link/);
    expect(refuseLinksBelow(dir, path.join(dir, 'nothing', 'here'), role)).toBe(false);
    expect(() => refuseLinksBelow(dir, outside, role)).toThrow(/is not inside/);
  });
});

describe('modes and renames', () => {
  onPosix('setDirectoryMode changes a directory and refuses a link to one (its target keeps its mode)', () => {
    const own = path.join(dir, 'client');
    fs.mkdirSync(own, { mode: 0o755 });
    setDirectoryMode(own, 0o700, role);
    expect(fs.statSync(own).mode & 0o777).toBe(0o700);
    fs.chmodSync(outside, 0o755);
    fs.symlinkSync(outside, path.join(dir, 'linked'));
    expectRefused(() => setDirectoryMode(path.join(dir, 'linked'), 0o700, role), /linked is a symbolic link/);
    expect(fs.statSync(outside).mode & 0o777).toBe(0o755);
  });

  onPosix('a rename, and an atomic write, replace a link at the target rather than write through it', () => {
    const { file, unchanged } = victim();
    fs.symlinkSync(file, path.join(dir, 'X.lo_'));
    fs.writeFileSync(path.join(dir, 'X.log'), 'log');
    renameEntry(path.join(dir, 'X.log'), path.join(dir, 'X.lo_'), role);
    expect(fs.lstatSync(path.join(dir, 'X.lo_')).isFile()).toBe(true);
    fs.symlinkSync(file, path.join(dir, 'client.json'));
    writeFileAtomic(path.join(dir, 'client.json'), '{}', 0o600);
    expect(fs.lstatSync(path.join(dir, 'client.json')).isFile()).toBe(true);
    unchanged();
  });
});
