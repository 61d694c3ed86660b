import * as crypto from 'node:crypto';
import {
  buildCabinet,
  cabChecksum,
  readCabinet,
  DEFAULT_CAB_LIMITS,
  type CabDefectCode,
  type CabResult,
} from '../../src/protocol/cab';

const WHEN = new Date('2024-05-06T07:08:10Z');
const bytes = (n: number, seed = 'x') =>
  Buffer.concat(
    Array.from({ length: Math.ceil(n / 32) + 1 }, (_, i) => crypto.createHash('sha256').update(`${seed}${i}`).digest()),
  ).subarray(0, n);

function refusal(result: CabResult): CabDefectCode | 'ok' {
  return result.ok ? 'ok' : result.code;
}

/** The cabinet with its declared size set to its length, so a cut or a splice is read past the size check. */
function sized(cab: Buffer): Buffer {
  const copy = Buffer.from(cab);
  if (copy.length >= 12) copy.writeUInt32LE(copy.length, 8);
  return copy;
}

const sample = () =>
  buildCabinet(
    [
      { name: 'ccmsetup.xml', data: Buffer.from('<Manifest/>') },
      { name: 'x64\\client.msi', data: bytes(70_001) },
    ],
    WHEN,
  );
const COFF_CAB_START = 36;

describe('cabinet writer and reader ([MS-CAB], uncompressed)', () => {
  test('files of every size round-trip with their names and date, in blocks of 32768 bytes', () => {
    const files = [0, 1, 3, 32_768, 32_769, 70_001].map((n, i) => ({ name: `f${i}.bin`, data: bytes(n, String(i)) }));
    files.push({ name: 'dir\\é.txt', data: Buffer.from('utf-8 name') });
    const cab = buildCabinet(files, WHEN);
    const read = readCabinet(cab);
    if (!read.ok) throw new Error(read.defect);
    expect(read.files.map((f) => f.name)).toEqual(files.map((f) => f.name));
    for (const [i, f] of read.files.entries()) expect(f.data.equals(files[i].data)).toBe(true);
    expect(read.files[0].modified.toISOString()).toBe('2024-05-06T07:08:10.000Z');
    const total = files.reduce((n, f) => n + f.data.length, 0);
    expect(cab.readUInt16LE(COFF_CAB_START + 4)).toBe(Math.ceil(total / 32_768));
    expect(cab.subarray(0, 4).toString('latin1')).toBe('MSCF');
    expect(cab.readUInt32LE(8)).toBe(cab.length);
    // A header reserve (as signed cabinets carry) of no bytes is read past.
    expect(refusal(readCabinet(withReserve(cab, 0)))).toBe('ok');
  });

  test('the checksum XORs little-endian words and packs a short tail first byte highest', () => {
    expect(cabChecksum(Buffer.from([1, 2, 3, 4]), 0)).toBe(0x04030201);
    expect(cabChecksum(Buffer.from([1, 2, 3, 4, 5]), 0)).toBe(0x04030201 ^ 0x05);
    expect(cabChecksum(Buffer.from([0xa, 0xb, 0xc]), 0)).toBe(0x0a0b0c);
    expect(cabChecksum(Buffer.from([0xa, 0xb]), 0xff000000)).toBe((0xff000000 ^ 0x0a0b) >>> 0);
  });

  test('a stored checksum of zero means none ([MS-CAB]); any other must match', () => {
    const cab = sample();
    const block = cab.readUInt32LE(COFF_CAB_START);
    const zeroed = Buffer.from(cab);
    zeroed.writeUInt32LE(0, block);
    expect(refusal(readCabinet(zeroed))).toBe('ok');
    const flipped = Buffer.from(cab);
    flipped[block + 8 + 100] ^= 0x01;
    expect(refusal(readCabinet(flipped))).toBe('CAB_CHECKSUM');
  });

  const cases: Array<[string, CabDefectCode, () => Buffer | { cab: Buffer; limits: typeof DEFAULT_CAB_LIMITS }]> = [
    ['a ZIP archive', 'CAB_BAD_SIGNATURE', () => Buffer.concat([Buffer.from('PK\x03\x04'), Buffer.alloc(60)])],
    ['fewer bytes than a header', 'CAB_TRUNCATED', () => sample().subarray(0, 20)],
    ['another format version', 'CAB_BAD_VERSION', () => sample().fill(2, 25, 26)],
    ['a byte more than declared', 'CAB_SIZE_MISMATCH', () => Buffer.concat([sample(), Buffer.alloc(1)])],
    ['a cut inside the data', 'CAB_TRUNCATED', () => sized(sample().subarray(0, sample().length - 10))],
    ['a cabinet set', 'CAB_UNSUPPORTED', () => withU16(sample(), 30, 0x0002)],
    ['MSZIP compression', 'CAB_UNSUPPORTED', () => withU16(sample(), COFF_CAB_START + 6, 1)],
    ['a per-block reserve', 'CAB_UNSUPPORTED', () => withReserve(sample(), 1)],
    ['a file continued from another cabinet', 'CAB_UNSUPPORTED', () => withU16(sample(), 44 + 8, 0xfffd)],
    ['no folder', 'CAB_TOO_MANY', () => withU16(sample(), 26, 0)],
    ['more files than allowed', 'CAB_TOO_MANY', () => withU16(sample(), 28, 60_000)],
    ['file entries past the end', 'CAB_BAD_OFFSET', () => withU32(sample(), 16, 1_000_000)],
    ['data before the file entries', 'CAB_BAD_OFFSET', () => withU32(sample(), COFF_CAB_START, 40)],
    ['an uncompressed block whose two sizes differ', 'CAB_BAD_BLOCK', () => withBlockSizes(sample(), 100, 200)],
    ['a block over 32768 bytes', 'CAB_BAD_BLOCK', () => withBlockSizes(sample(), 40_000, 40_000)],
    ['a name going up', 'CAB_BAD_FILE', () => buildCabinet([{ name: '..\\evil.dll', data: bytes(3) }], WHEN)],
    ['an absolute name', 'CAB_BAD_FILE', () => buildCabinet([{ name: 'C:\\Windows\\x.dll', data: bytes(3) }], WHEN)],
    ['a file past its folder', 'CAB_BAD_FILE', () => withU32(sample(), 44 + 16 + 'ccmsetup.xml'.length + 1, 80_000)],
    ['a file in a folder that is not there', 'CAB_BAD_FILE', () => withU16(sample(), 44 + 8, 3)],
    ['a name without its NUL', 'CAB_BAD_FILE', () => noNul()],
    [
      'a file larger than the bound',
      'CAB_FILE_TOO_LARGE',
      () => ({ cab: sample(), limits: { ...DEFAULT_CAB_LIMITS, maxFileBytes: 1000 } }),
    ],
    [
      'a cabinet larger than the bound',
      'CAB_TOO_LARGE',
      () => ({ cab: sample(), limits: { ...DEFAULT_CAB_LIMITS, maxBytes: 1000 } }),
    ],
  ];
  test.each(cases)('refuses %s (%s)', (_what, code, make) => {
    const made = make();
    const result = Buffer.isBuffer(made) ? readCabinet(made) : readCabinet(made.cab, made.limits);
    expect(refusal(result)).toBe(code);
    if (!result.ok) expect(result.defect).toMatch(/^[\x20-\x7e]+$/);
  });

  test('every cut of a cabinet, its size fixed to match, is refused without throwing', () => {
    const cab = sample();
    for (let n = 0; n < cab.length; n += n < 400 ? 1 : 997)
      expect(refusal(readCabinet(sized(cab.subarray(0, n))))).not.toBe('ok');
  });

  test('random bytes behind a valid header never throw and are refused', () => {
    const head = sample().subarray(0, 44);
    for (let i = 0; i < 300; i++) {
      const junk = sized(Buffer.concat([head, crypto.randomBytes(1 + (i % 97) * 13)]));
      expect(refusal(readCabinet(junk))).not.toBe('ok');
    }
  });
});

function withU16(cab: Buffer, at: number, value: number): Buffer {
  const copy = Buffer.from(cab);
  copy.writeUInt16LE(value, at);
  return copy;
}

function withU32(cab: Buffer, at: number, value: number): Buffer {
  const copy = Buffer.from(cab);
  copy.writeUInt32LE(value, at);
  return copy;
}

/** The first CFDATA block's cbData and cbUncomp set. */
function withBlockSizes(cab: Buffer, data: number, uncompressed: number): Buffer {
  const block = cab.readUInt32LE(COFF_CAB_START);
  return withU16(withU16(cab, block + 4, data), block + 6, uncompressed);
}

/** The reserve flag and sizes inserted after CFHEADER, with a per-block reserve of `perBlock` bytes. */
function withReserve(cab: Buffer, perBlock: number): Buffer {
  const reserve = Buffer.from([0, 0, 0, perBlock]);
  const out = sized(Buffer.concat([cab.subarray(0, 36), reserve, cab.subarray(36)]));
  out.writeUInt16LE(0x0004, 30);
  out.writeUInt32LE(out.readUInt32LE(16) + 4, 16);
  out.writeUInt32LE(out.readUInt32LE(40) + 4, 40);
  return out;
}

function noNul(): Buffer {
  const cab = buildCabinet([{ name: 'a', data: Buffer.alloc(0) }], WHEN);
  // Header, folder, one entry with its one-byte name and NUL, no data: the NUL is the last byte.
  return sized(cab.subarray(0, cab.length - 1));
}
