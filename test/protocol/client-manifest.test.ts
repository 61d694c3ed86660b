import { buildCabinet } from '../../src/protocol/cab';
import {
  buildManifest,
  manifestFromCabinet,
  isApplicable,
  parseManifest,
  MAX_MANIFEST_ITEMS,
  type ClientManifest,
  type ManifestDefectCode,
} from '../../src/protocol/client-manifest';

const HASH = 'AB'.repeat(32);
const MANIFEST: ClientManifest = {
  version: '5.00.9128.1000',
  items: [
    {
      name: 'i386/vcredist_x86.exe',
      architecture: 'i386',
      platforms: ['x86', 'x64'],
      version: '12.0.40660.0',
      detection: { type: 'MsiUpgradeCode', code: '{936E696B-0C8D-3A48-98DF-344FEA4E1139}' },
      download: { size: 6_510_544, sha256: HASH },
    },
    {
      name: 'dism.exe',
      architecture: 'neutral',
      platforms: ['x86', 'x64'],
      minOsVersion: '6.1',
      version: '6.3.9600.17031',
      detection: { type: 'LocalFile', path: 'C:\\Windows\\system32\\dism.exe' },
    },
    {
      name: 'x64/WindowsUpdateAgent30-x64.exe',
      architecture: 'x64',
      platforms: ['x64'],
      maxOsVersion: '6.3',
      version: '7.6.7600.256',
      detection: { type: 'FileVersion', path: 'C:\\Windows\\system32\\wuapi.dll', minimumVersion: '7.4.7600.226' },
      download: { size: 0, sha256: HASH },
    },
    {
      name: 'x64/client.msi',
      architecture: 'x64',
      platforms: ['x64'],
      version: '5.00.9128.1000',
      detection: { type: 'MsiProductCode', code: '{66653948-0717-4D50-B0B9-ED66FDED2DDB}' },
      download: { size: 4096, sha256: HASH },
    },
  ],
};

function code(text: string): ManifestDefectCode | 'ok' {
  const r = parseManifest(text);
  return r.ok ? 'ok' : r.code;
}

/** The sample manifest with one text replaced (the replaced text must be there). */
function edited(from: string, to: string): string {
  const xml = buildManifest(MANIFEST);
  if (!xml.includes(from)) throw new Error(`no '${from}' in the manifest`);
  return xml.replace(from, to);
}

describe('ccmsetup.xml (ccmlab shape)', () => {
  test('round trip: every detection kind, OS bounds, downloads and local files, in order', () => {
    const xml = buildManifest(MANIFEST);
    expect(xml).toMatch(/^<\?xml version="1.0" encoding="utf-8"\?>\r\n<Manifest Version="5.00.9128.1000" /);
    expect(parseManifest(xml)).toEqual({ ok: true, manifest: MANIFEST });
  });

  test('hashes are read in either case and kept upper-case', () => {
    const r = parseManifest(edited(`Hash="${HASH}"`, `Hash="${HASH.toLowerCase()}"`));
    expect(r.ok && r.manifest.items[0].download?.sha256).toBe(HASH);
  });

  test.each<[string, string, string, ManifestDefectCode]>([
    ['not XML', '<Manifest', '<Manifest <', 'MANIFEST_NOT_XML'],
    ['a DOCTYPE', '<Manifest', '<!DOCTYPE m [<!ENTITY e "x">]><Manifest', 'MANIFEST_NOT_XML'],
    ['another hash algorithm', 'HashAlgorithm="SHA256"', 'HashAlgorithm="MD5"', 'MANIFEST_BAD_ROOT'],
    ['no hash algorithm', ' HashAlgorithm="SHA256"', '', 'MANIFEST_BAD_ROOT'],
    ['a name going up', 'Name="dism.exe"', 'Name="../dism.exe"', 'MANIFEST_BAD_ITEM'],
    ['a name in another folder', 'Name="x64/client.msi"', 'Name="amd64/client.msi"', 'MANIFEST_BAD_ITEM'],
    ['an architecture its folder denies', 'Architecture="i386"', 'Architecture="x64"', 'MANIFEST_BAD_ITEM'],
    ['an unknown platform', 'Platforms="x64"', 'Platforms="arm64"', 'MANIFEST_BAD_ITEM'],
    ['a short hash', `Hash="${HASH}"`, 'Hash="ABCD"', 'MANIFEST_BAD_ITEM'],
    ['a size that is not a number', 'Size="6510544"', 'Size="-1"', 'MANIFEST_BAD_ITEM'],
    ['a download without a size', 'Size="6510544" ', '', 'MANIFEST_BAD_ITEM'],
    ['a local file with a size', 'Version="6.3.9600.17031"', 'Version="6.3.9600.17031" Size="1"', 'MANIFEST_BAD_ITEM'],
    ['a code that is no GUID', '{936E696B-0C8D-3A48-98DF-344FEA4E1139}', '{x}', 'MANIFEST_BAD_ITEM'],
    ['a relative path', 'Path="C:\\Windows\\system32\\dism.exe"', 'Path="dism.exe"', 'MANIFEST_BAD_ITEM'],
    ['an unknown detection', 'Type="LocalFile"', 'Type="Registry"', 'MANIFEST_BAD_ITEM'],
    ['a bad OS bound', 'MinOsVersion="6.1"', 'MinOsVersion="Windows 7"', 'MANIFEST_BAD_ITEM'],
    ['a name twice', 'Name="dism.exe"', 'Name="X64/CLIENT.MSI"', 'MANIFEST_BAD_ITEM'],
  ])('refuses %s', (_what, from, to, expected) => {
    expect(code(edited(from, to))).toBe(expected);
  });

  test('another root, a manifest with no item, or too many, is refused', () => {
    expect(code('<Items Version="5.00.9128.1000" HashAlgorithm="SHA256"><Item/></Items>')).toBe('MANIFEST_BAD_ROOT');
    expect(code('<Manifest Version="5.00.9128.1000" HashAlgorithm="SHA256"></Manifest>')).toBe('MANIFEST_TOO_MANY');
    const many = {
      ...MANIFEST,
      items: Array.from({ length: MAX_MANIFEST_ITEMS + 1 }, (_, i) => ({ ...MANIFEST.items[1], name: `f${i}.exe` })),
    };
    expect(code(buildManifest(many))).toBe('MANIFEST_TOO_MANY');
  });

  test('a defect names the item by its number, and by its name only when that is a file name', () => {
    const r = parseManifest(edited('Name="dism.exe"', 'Name="\u0007bell"'));
    expect(!r.ok && r.defect).toBe('item 2: its Name is not a file name, alone or below x64/ or i386/');
  });

  test('applicability: platform, then the OS bounds (inclusive)', () => {
    const [vcredist, dism, wua] = MANIFEST.items;
    expect(isApplicable(vcredist, { platform: 'x64', osVersion: '6.3' })).toBe(true);
    expect(isApplicable(wua, { platform: 'x86', osVersion: '6.3' })).toBe(false);
    expect(isApplicable(dism, { platform: 'x64', osVersion: '6.0' })).toBe(false);
    expect(isApplicable(dism, { platform: 'x64', osVersion: '6.1' })).toBe(true);
    expect(isApplicable(wua, { platform: 'x64', osVersion: '6.3' })).toBe(true);
    expect(isApplicable(wua, { platform: 'x64', osVersion: '10.0' })).toBe(false);
  });
});

describe('the manifest in ccmsetup.cab', () => {
  const cab = (name: string, data: Buffer) => buildCabinet([{ name, data }], new Date());
  const xml = Buffer.from(buildManifest(MANIFEST));
  const outcome = (r: ReturnType<typeof manifestFromCabinet>) => (r.ok ? 'ok' : r.code);

  test('ccmsetup.xml found in any case, a UTF-8 BOM dropped', () => {
    expect(manifestFromCabinet(cab('CCMSETUP.XML', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), xml])))).toEqual({
      ok: true,
      manifest: MANIFEST,
    });
  });

  test('a cabinet without it, one that is no cabinet, one whose manifest is not UTF-8', () => {
    expect(outcome(manifestFromCabinet(cab('other.xml', xml)))).toBe('MANIFEST_MISSING');
    expect(outcome(manifestFromCabinet(xml))).toBe('CAB_BAD_SIGNATURE');
    expect(outcome(manifestFromCabinet(cab('ccmsetup.xml', Buffer.from([0xff, 0xfe, 0x3c]))))).toBe('MANIFEST_NOT_XML');
  });
});
