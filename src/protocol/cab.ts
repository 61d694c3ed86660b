/**
 * Microsoft Cabinet files without compression (typeCompress 0), as [MS-CAB] "Cabinet File
 * Format" (Microsoft Open Specifications) lays them out: CFHEADER, CFFOLDER entries, CFFILE
 * entries (each with its NUL-terminated name), then each folder's CFDATA blocks, every
 * multi-byte field little-endian. A CFDATA block holds at most 32768 bytes and carries the
 * [MS-CAB] checksum: the XOR of the data's 32-bit little-endian words (a short tail packed
 * first byte highest), seeded into the same checksum of the block's cbData and cbUncomp.
 *
 * The writer makes one folder; the reader takes any number within its limits and refuses,
 * with a code of its own, what it cannot take whole: compression, cabinet sets, per-block
 * reserves, and anything whose sizes, offsets or checksums do not agree. Reading is linear
 * in the cabinet's size and its counts; files are views of the cabinet's bytes, not copies.
 */

const SIGNATURE = 0x4643534d; // 'MSCF' read little-endian
const HEADER_SIZE = 36;
const FOLDER_SIZE = 8;
const FILE_SIZE = 16;
const DATA_SIZE = 8;
/** Largest CFDATA block, and the writer's block size ([MS-CAB] 2.4: cbUncomp at most 0x8000). */
export const CAB_BLOCK_SIZE = 0x8000;
/** [MS-CAB] 2.1: the largest cbCFHeader reserve, and of a name (with its NUL). */
const MAX_HEADER_RESERVE = 60_000;
const MAX_NAME_BYTES = 256;
/** [MS-CAB] 2.1: the largest uncompressed folder. */
const MAX_FOLDER_BYTES = 0x7fff8000;
const FLAG_PREV_CABINET = 0x0001;
const FLAG_NEXT_CABINET = 0x0002;
const FLAG_RESERVE_PRESENT = 0x0004;
const ATTRIBUTE_ARCHIVE = 0x20;
const ATTRIBUTE_NAME_IS_UTF = 0x80;

export interface CabFileInput {
  /** As the cabinet stores it: `ccmsetup.xml`, `x64\\client.msi`. */
  name: string;
  data: Uint8Array;
}

export interface CabFile {
  name: string;
  /** A view of the cabinet's bytes. */
  data: Buffer;
  /** The CFFILE date and time, read as UTC. */
  modified: Date;
}

export type CabDefectCode =
  | 'CAB_TOO_LARGE'
  | 'CAB_TRUNCATED'
  | 'CAB_BAD_SIGNATURE'
  | 'CAB_BAD_VERSION'
  | 'CAB_SIZE_MISMATCH'
  | 'CAB_UNSUPPORTED'
  | 'CAB_TOO_MANY'
  | 'CAB_BAD_OFFSET'
  | 'CAB_BAD_BLOCK'
  | 'CAB_CHECKSUM'
  | 'CAB_FILE_TOO_LARGE'
  | 'CAB_BAD_FILE';

export interface CabDefect {
  ok: false;
  code: CabDefectCode;
  /** One line: what is wrong, in ccmlab's words (never bytes of the cabinet but its numbers). */
  defect: string;
}

export type CabResult = { ok: true; files: CabFile[] } | CabDefect;

export interface CabLimits {
  maxBytes: number;
  maxFolders: number;
  maxFiles: number;
  maxFileBytes: number;
}

export const DEFAULT_CAB_LIMITS: CabLimits = {
  maxBytes: 64 * 1024 * 1024,
  maxFolders: 16,
  maxFiles: 256,
  maxFileBytes: 16 * 1024 * 1024,
};

/** The [MS-CAB] checksum of `bytes`, continuing from `seed`. */
export function cabChecksum(bytes: Uint8Array, seed: number): number {
  let sum = seed | 0;
  const whole = bytes.length & ~3;
  for (let i = 0; i < whole; i += 4)
    sum ^= bytes[i] | (bytes[i + 1] << 8) | (bytes[i + 2] << 16) | (bytes[i + 3] << 24);
  let tail = 0;
  for (let i = whole; i < bytes.length; i++) tail = (tail << 8) | bytes[i];
  return (sum ^ tail) >>> 0;
}

function blockChecksum(data: Uint8Array): number {
  const sizes = Buffer.alloc(4);
  sizes.writeUInt16LE(data.length, 0);
  sizes.writeUInt16LE(data.length, 2);
  return cabChecksum(sizes, cabChecksum(data, 0));
}

/** MS-DOS date and time ([MS-CAB] 2.3), from the date's UTC fields. */
function dosDateTime(date: Date): { date: number; time: number } {
  const year = Math.min(Math.max(date.getUTCFullYear(), 1980), 2107);
  return {
    date: ((year - 1980) << 9) | ((date.getUTCMonth() + 1) << 5) | date.getUTCDate(),
    time: (date.getUTCHours() << 11) | (date.getUTCMinutes() << 5) | (date.getUTCSeconds() >> 1),
  };
}

function fromDosDateTime(date: number, time: number): Date {
  return new Date(
    Date.UTC(
      (date >> 9) + 1980,
      ((date >> 5) & 0x0f) - 1,
      date & 0x1f,
      time >> 11,
      (time >> 5) & 0x3f,
      (time & 0x1f) * 2,
    ),
  );
}

function fileEntry(file: CabFileInput, offset: number, stamp: { date: number; time: number }): Buffer {
  const ascii = /^[\x20-\x7e]*$/.test(file.name);
  const name = Buffer.from(file.name, ascii ? 'latin1' : 'utf8');
  if (name.length === 0 || name.length >= MAX_NAME_BYTES || name.includes(0))
    throw new RangeError(`cabinet file name '${file.name}' is empty, too long or holds a NUL`);
  const entry = Buffer.alloc(FILE_SIZE + name.length + 1);
  entry.writeUInt32LE(file.data.length, 0);
  entry.writeUInt32LE(offset, 4);
  entry.writeUInt16LE(0, 8);
  entry.writeUInt16LE(stamp.date, 10);
  entry.writeUInt16LE(stamp.time, 12);
  entry.writeUInt16LE(ATTRIBUTE_ARCHIVE | (ascii ? 0 : ATTRIBUTE_NAME_IS_UTF), 14);
  name.copy(entry, FILE_SIZE);
  return entry;
}

function dataBlocks(folder: Buffer): Buffer[] {
  const blocks: Buffer[] = [];
  for (let at = 0; at < folder.length; at += CAB_BLOCK_SIZE) {
    const data = folder.subarray(at, at + CAB_BLOCK_SIZE);
    const head = Buffer.alloc(DATA_SIZE);
    head.writeUInt32LE(blockChecksum(data), 0);
    head.writeUInt16LE(data.length, 4);
    head.writeUInt16LE(data.length, 6);
    blocks.push(head, data);
  }
  return blocks;
}

/** One uncompressed folder holding `files` in order; every date is `modified`. */
export function buildCabinet(files: readonly CabFileInput[], modified: Date): Buffer {
  if (files.length === 0 || files.length > 0xffff) throw new RangeError('a cabinet holds 1 to 65535 files');
  const folder = Buffer.concat(files.map((f) => f.data));
  if (folder.length > MAX_FOLDER_BYTES)
    throw new RangeError(`a cabinet folder holds at most ${MAX_FOLDER_BYTES} bytes`);
  const stamp = dosDateTime(modified);
  let offset = 0;
  const entries = files.map((file) => {
    const entry = fileEntry(file, offset, stamp);
    offset += file.data.length;
    return entry;
  });
  const blocks = dataBlocks(folder);
  const coffFiles = HEADER_SIZE + FOLDER_SIZE;
  const coffCabStart = coffFiles + entries.reduce((n, e) => n + e.length, 0);
  const total = coffCabStart + blocks.reduce((n, b) => n + b.length, 0);
  const header = Buffer.alloc(HEADER_SIZE + FOLDER_SIZE);
  header.writeUInt32LE(SIGNATURE, 0);
  header.writeUInt32LE(total, 8);
  header.writeUInt32LE(coffFiles, 16);
  header.writeUInt8(3, 24);
  header.writeUInt8(1, 25);
  header.writeUInt16LE(1, 26);
  header.writeUInt16LE(files.length, 28);
  header.writeUInt32LE(coffCabStart, HEADER_SIZE);
  header.writeUInt16LE(blocks.length / 2, HEADER_SIZE + 4);
  return Buffer.concat([header, ...entries, ...blocks]);
}

function defect(code: CabDefectCode, text: string): CabDefect {
  return { ok: false, code, defect: text };
}

interface Layout {
  cFolders: number;
  cFiles: number;
  coffFiles: number;
  /** Where the CFFOLDER entries start, and each one's size with its reserve. */
  folders: number;
  folderSize: number;
}

/** CFHEADER: signature, version, declared size, flags and reserve sizes, counts. */
function readHeader(bytes: Buffer, limits: CabLimits): Layout | CabDefect {
  if (bytes.length > limits.maxBytes)
    return defect('CAB_TOO_LARGE', `the cabinet is ${bytes.length} bytes, more than the ${limits.maxBytes} allowed`);
  if (bytes.length < HEADER_SIZE)
    return defect('CAB_TRUNCATED', `${bytes.length} bytes are too few for a cabinet header (${HEADER_SIZE})`);
  if (bytes.readUInt32LE(0) !== SIGNATURE) return defect('CAB_BAD_SIGNATURE', "the file does not start with 'MSCF'");
  if (bytes[25] !== 1 || bytes[24] !== 3)
    return defect('CAB_BAD_VERSION', `cabinet format version ${bytes[25]}.${bytes[24]}, not 1.3`);
  const declared = bytes.readUInt32LE(8);
  if (declared !== bytes.length)
    return defect('CAB_SIZE_MISMATCH', `the header says ${declared} bytes, the cabinet has ${bytes.length}`);
  const flags = bytes.readUInt16LE(30);
  if (flags & (FLAG_PREV_CABINET | FLAG_NEXT_CABINET))
    return defect('CAB_UNSUPPORTED', 'the cabinet is part of a set spanning several cabinets');
  const cFolders = bytes.readUInt16LE(26);
  const cFiles = bytes.readUInt16LE(28);
  if (cFolders === 0 || cFolders > limits.maxFolders)
    return defect('CAB_TOO_MANY', `${cFolders} folders; 1 to ${limits.maxFolders} are allowed`);
  if (cFiles === 0 || cFiles > limits.maxFiles)
    return defect('CAB_TOO_MANY', `${cFiles} files; 1 to ${limits.maxFiles} are allowed`);
  let folders = HEADER_SIZE;
  let folderReserve = 0;
  if (flags & FLAG_RESERVE_PRESENT) {
    if (bytes.length < HEADER_SIZE + 4) return defect('CAB_TRUNCATED', 'the cabinet ends inside its reserve sizes');
    const headerReserve = bytes.readUInt16LE(HEADER_SIZE);
    folderReserve = bytes[HEADER_SIZE + 2];
    if (bytes[HEADER_SIZE + 3] !== 0)
      return defect('CAB_UNSUPPORTED', 'data blocks carry a reserved area, which ccmlab does not read');
    if (headerReserve > MAX_HEADER_RESERVE)
      return defect('CAB_BAD_OFFSET', `a header reserve of ${headerReserve} bytes (at most ${MAX_HEADER_RESERVE})`);
    folders = HEADER_SIZE + 4 + headerReserve;
  }
  const coffFiles = bytes.readUInt32LE(16);
  const folderSize = FOLDER_SIZE + folderReserve;
  if (coffFiles < folders + cFolders * folderSize || coffFiles >= bytes.length)
    return defect(
      'CAB_BAD_OFFSET',
      `the file entries' offset ${coffFiles} is not past the folders and inside the cabinet`,
    );
  return { cFolders, cFiles, coffFiles, folders, folderSize };
}

interface FolderData {
  data: Buffer;
  /** First byte after the folder's last block. */
  end: number;
}

/** One folder's CFDATA blocks, checked and joined: it must start at or after `from`. */
function readFolder(bytes: Buffer, at: number, index: number, from: number): FolderData | CabDefect {
  const start = bytes.readUInt32LE(at);
  const count = bytes.readUInt16LE(at + 4);
  const compression = bytes.readUInt16LE(at + 6) & 0x000f;
  if (compression !== 0)
    return defect('CAB_UNSUPPORTED', `folder ${index} is compressed (type ${compression}); ccmlab reads only type 0`);
  if (start < from || start > bytes.length)
    return defect('CAB_BAD_OFFSET', `folder ${index}'s data offset ${start} is outside ${from} to ${bytes.length}`);
  const blocks: Buffer[] = [];
  let pos = start;
  for (let block = 0; block < count; block++) {
    if (pos + DATA_SIZE > bytes.length) return defect('CAB_TRUNCATED', `folder ${index} ends inside block ${block}`);
    const size = bytes.readUInt16LE(pos + 4);
    if (size !== bytes.readUInt16LE(pos + 6) || size === 0 || size > CAB_BLOCK_SIZE)
      return defect(
        'CAB_BAD_BLOCK',
        `folder ${index} block ${block} declares sizes that an uncompressed block cannot have`,
      );
    if (pos + DATA_SIZE + size > bytes.length)
      return defect('CAB_TRUNCATED', `folder ${index} block ${block} reaches past the end of the cabinet`);
    const data = bytes.subarray(pos + DATA_SIZE, pos + DATA_SIZE + size);
    const stored = bytes.readUInt32LE(pos);
    if (stored !== 0 && stored !== cabChecksum(bytes.subarray(pos + 4, pos + 8), cabChecksum(data, 0)))
      return defect('CAB_CHECKSUM', `folder ${index} block ${block} does not match its checksum`);
    blocks.push(data);
    pos += DATA_SIZE + size;
  }
  return { data: blocks.length === 1 ? blocks[0] : Buffer.concat(blocks), end: pos };
}

/** A stored name that extracts inside the folder it is extracted to, or why not. */
function nameDefect(name: string): string | undefined {
  if (name === '' || /[\x00-\x1f\x7f]/.test(name)) return 'is empty or holds control characters';
  if (/^[\\/]/.test(name) || /^[A-Za-z]:/.test(name)) return 'is an absolute path';
  if (name.split(/[\\/]/).some((part) => part === '..' || part === '')) return "has an empty or '..' path part";
  return undefined;
}

interface FileRecord {
  folder: number;
  offset: number;
  size: number;
  modified: Date;
  name: string;
}

function readFileEntry(bytes: Buffer, at: number, index: number, layout: Layout, limits: CabLimits) {
  if (at + FILE_SIZE > bytes.length) return defect('CAB_TRUNCATED', `the cabinet ends inside file entry ${index}`);
  const size = bytes.readUInt32LE(at);
  const folder = bytes.readUInt16LE(at + 8);
  if (folder >= 0xfffd) return defect('CAB_UNSUPPORTED', `file ${index} continues into another cabinet`);
  if (folder >= layout.cFolders)
    return defect('CAB_BAD_FILE', `file ${index} names folder ${folder} of ${layout.cFolders}`);
  if (size > limits.maxFileBytes)
    return defect('CAB_FILE_TOO_LARGE', `file ${index} is ${size} bytes, more than the ${limits.maxFileBytes} allowed`);
  const nameEnd = bytes.indexOf(0, at + FILE_SIZE);
  if (nameEnd < 0 || nameEnd - (at + FILE_SIZE) >= MAX_NAME_BYTES)
    return defect('CAB_BAD_FILE', `file ${index}'s name is not NUL-terminated within ${MAX_NAME_BYTES} bytes`);
  const raw = bytes.subarray(at + FILE_SIZE, nameEnd);
  let name: string;
  try {
    const utf = (bytes.readUInt16LE(at + 14) & ATTRIBUTE_NAME_IS_UTF) !== 0;
    name = utf ? new TextDecoder('utf-8', { fatal: true }).decode(raw) : raw.toString('latin1');
  } catch {
    return defect('CAB_BAD_FILE', `file ${index}'s name is marked UTF-8 but is not`);
  }
  const unsafe = nameDefect(name);
  if (unsafe) return defect('CAB_BAD_FILE', `file ${index}'s name ${unsafe}`);
  const modified = fromDosDateTime(bytes.readUInt16LE(at + 10), bytes.readUInt16LE(at + 12));
  return { record: { folder, offset: bytes.readUInt32LE(at + 4), size, modified, name }, next: nameEnd + 1 };
}

function readFileEntries(
  bytes: Buffer,
  layout: Layout,
  limits: CabLimits,
): { files: FileRecord[]; end: number } | CabDefect {
  const files: FileRecord[] = [];
  let at = layout.coffFiles;
  for (let index = 0; index < layout.cFiles; index++) {
    const entry = readFileEntry(bytes, at, index, layout, limits);
    if ('ok' in entry) return entry;
    files.push(entry.record);
    at = entry.next;
  }
  return { files, end: at };
}

/** The files of an uncompressed cabinet, or the first thing that makes it not one ccmlab takes. */
export function readCabinet(input: Uint8Array, limits: CabLimits = DEFAULT_CAB_LIMITS): CabResult {
  const bytes = Buffer.from(input.buffer, input.byteOffset, input.byteLength);
  const layout = readHeader(bytes, limits);
  if ('ok' in layout) return layout;
  const entries = readFileEntries(bytes, layout, limits);
  if ('ok' in entries) return entries;
  // Folders' data follow the file entries and one another, so together they are no larger than the cabinet.
  const folders: Buffer[] = [];
  let from = entries.end;
  for (let index = 0; index < layout.cFolders; index++) {
    const folder = readFolder(bytes, layout.folders + index * layout.folderSize, index, from);
    if ('ok' in folder) return folder;
    folders.push(folder.data);
    from = folder.end;
  }
  const files: CabFile[] = [];
  for (const [index, file] of entries.files.entries()) {
    const data = folders[file.folder];
    if (file.offset > data.length || file.size > data.length - file.offset)
      return defect(
        'CAB_BAD_FILE',
        `file ${index} (${file.size} bytes at ${file.offset}) lies outside folder ${file.folder}'s ${data.length} bytes`,
      );
    files.push({ name: file.name, data: data.subarray(file.offset, file.offset + file.size), modified: file.modified });
  }
  return { ok: true, files };
}
