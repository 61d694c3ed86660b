/**
 * An NTLM client written for the tests, from MS-NLMP alone (no code shared with
 * src/protocol/ntlm.ts). Node 20 has no MD4, so the AUTHENTICATE message carries dummy
 * responses of the right sizes: the lab MP checks no password.
 */

const SIGNATURE = Buffer.from('NTLMSSP\0', 'latin1');
const UNICODE = 0x1;
const REQUEST_TARGET = 0x4;
const NTLM = 0x200;
const ALWAYS_SIGN = 0x8000;
const EXTENDED = 0x80000;

export function negotiateMessage(): Buffer {
  const m = Buffer.alloc(32);
  SIGNATURE.copy(m);
  m.writeUInt32LE(1, 8);
  m.writeUInt32LE(UNICODE | REQUEST_TARGET | NTLM | ALWAYS_SIGN | EXTENDED, 12);
  return m;
}

export interface Challenge {
  flags: number;
  challenge: Buffer;
  targetName: string;
  avPairs: Map<number, Buffer>;
}

export function readChallenge(header: string | undefined): Challenge {
  const m = /^(?:NTLM|Negotiate) (\S+)$/.exec(header ?? '');
  if (!m) throw new Error(`no NTLM challenge in '${header}'`);
  const b = Buffer.from(m[1], 'base64');
  if (!b.subarray(0, 8).equals(SIGNATURE) || b.readUInt32LE(8) !== 2) throw new Error('not a CHALLENGE message');
  const nameLength = b.readUInt16LE(12);
  const nameOffset = b.readUInt32LE(16);
  const infoLength = b.readUInt16LE(40);
  const infoOffset = b.readUInt32LE(44);
  const avPairs = new Map<number, Buffer>();
  for (let at = infoOffset; at + 4 <= infoOffset + infoLength;) {
    const id = b.readUInt16LE(at);
    const length = b.readUInt16LE(at + 2);
    avPairs.set(id, b.subarray(at + 4, at + 4 + length));
    at += 4 + length;
    if (id === 0) break;
  }
  return {
    flags: b.readUInt32LE(20),
    challenge: b.subarray(24, 32),
    targetName: b.subarray(nameOffset, nameOffset + nameLength).toString('utf16le'),
    avPairs,
  };
}

export function authenticateMessage(domain: string, user: string, workstation: string): Buffer {
  const fields = [
    Buffer.alloc(24),
    Buffer.alloc(24),
    Buffer.from(domain, 'utf16le'),
    Buffer.from(user, 'utf16le'),
    Buffer.from(workstation, 'utf16le'),
    Buffer.alloc(0),
  ];
  const head = Buffer.alloc(64);
  SIGNATURE.copy(head);
  head.writeUInt32LE(3, 8);
  let offset = 64;
  fields.forEach((f, i) => {
    head.writeUInt16LE(f.length, 12 + i * 8);
    head.writeUInt16LE(f.length, 14 + i * 8);
    head.writeUInt32LE(offset, 16 + i * 8);
    offset += f.length;
  });
  head.writeUInt32LE(UNICODE | NTLM | ALWAYS_SIGN | EXTENDED, 60);
  return Buffer.concat([head, ...fields]);
}
