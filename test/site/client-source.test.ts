import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readCabinet } from '../../src/protocol/cab';
import { isApplicable, parseManifest, type ClientManifest } from '../../src/protocol/client-manifest';
import { CLIENT_ITEMS, manifestItem, sizeOf } from '../../src/site/client-items';
import { buildClientSource, ensureClientSource, generatedContent } from '../../src/site/client-source';
import { listFiles, removeDir, tempDir } from '../support/paths';

// The real log's outcomes on Windows Server 2012 R2 x64 (6.3), each list in the log's order.
const PENDING = [
  'i386/vcredist_x86.exe',
  'x64/vcredist_x64.exe',
  'dism.exe',
  'x64/MicrosoftPolicyPlatformSetup.msi',
  'x64/WindowsFirewallConfigurationProvider.msi',
  'i386/Silverlight.exe',
  'SCEPInstall.exe',
  'x64/client.msi',
];
const DETECTED = [
  'x64/WindowsUpdateAgent30-x64.exe',
  'x64/msxml6_x64.msi',
  'i386/NDP452-KB2901907-x86-x64-AllOS-ENU.exe',
];
const NOT_APPLICABLE = [
  'i386/WindowsUpdateAgent30-x86.exe',
  'i386/msxml6.msi',
  'i386/msrdcoob_x86.exe',
  'x64/msrdcoob_amd64.exe',
  'pkgmgr.exe',
  'wimgapi.msi',
  'i386/MicrosoftPolicyPlatformSetup.msi',
  'i386/WindowsFirewallConfigurationProvider.msi',
  'i386/wic_x86_enu.exe',
  'x64/wic_x64_enu.exe',
  'i386/client.msi',
];
const SERVER_2012_R2 = { platform: 'x64', osVersion: '6.3' } as const;

describe('the client source catalogue', () => {
  const names = CLIENT_ITEMS.map((i) => i.name);
  const inOrder = (subset: string[]) => names.filter((n) => subset.includes(n));

  test("holds the real log's items, each outcome group in the log's order", () => {
    expect(names.slice().sort()).toEqual([...PENDING, ...DETECTED, ...NOT_APPLICABLE].sort());
    for (const group of [PENDING, DETECTED, NOT_APPLICABLE]) expect(inOrder(group)).toEqual(group);
  });

  test('applies to a 2012 R2 x64 client exactly where the real log found an item applicable', () => {
    const applicable = CLIENT_ITEMS.filter((i) => isApplicable(manifestItem(i), SERVER_2012_R2)).map((i) => i.name);
    expect(applicable.sort()).toEqual([...PENDING, ...DETECTED].sort());
  });

  test("the pending items downloaded are the real BITS job's seven files, in its order; local files download nothing", () => {
    const downloaded = CLIENT_ITEMS.filter((i) => PENDING.includes(i.name) && i.realSize !== undefined).map(
      (i) => i.name,
    );
    expect(downloaded).toEqual(PENDING.filter((n) => n !== 'dism.exe'));
    expect(CLIENT_ITEMS.filter((i) => i.detection.type === 'LocalFile').map((i) => i.realSize)).toEqual([
      undefined,
      undefined,
    ]);
  });

  test('small files are 2 to 8 KiB and depend on the name alone; real ones are their estimates', () => {
    for (const item of CLIENT_ITEMS.filter((i) => i.realSize !== undefined)) {
      const small = sizeOf(item.name, item.realSize as number, 'small');
      expect(small).toBeGreaterThanOrEqual(2048);
      expect(small).toBeLessThan(8192);
      expect(sizeOf(item.name, item.realSize as number, 'real')).toBe(item.realSize);
    }
  });

  test('generated content is deterministic, of the size asked, and differs between names', () => {
    const one = Buffer.concat([...generatedContent('x64/client.msi', 300_000)]);
    expect(one.length).toBe(300_000);
    expect(Buffer.concat([...generatedContent('x64/client.msi', 300_000)]).equals(one)).toBe(true);
    expect(Buffer.concat([...generatedContent('i386/client.msi', 300_000)]).equals(one)).toBe(false);
    expect([...generatedContent('empty', 0)]).toEqual([]);
  });
});

describe('the Client folder as built', () => {
  let work: string;
  beforeEach(() => (work = tempDir()));
  afterEach(() => removeDir(work));

  function manifestIn(dir: string): ClientManifest {
    const cab = readCabinet(fs.readFileSync(path.join(dir, 'ccmsetup.cab')));
    if (!cab.ok) throw new Error(cab.defect);
    expect(cab.files.map((f) => f.name)).toEqual(['ccmsetup.xml']);
    const parsed = parseManifest(cab.files[0].data.toString('utf8'));
    if (!parsed.ok) throw new Error(parsed.defect);
    return parsed.manifest;
  }

  test('ccmsetup.cab carries a manifest whose sizes and hashes are those of the files beside it (0644)', async () => {
    const dir = path.join(work, 'Client');
    await buildClientSource(dir, 'small', new Date('2024-05-06T07:08:10Z'));
    const manifest = manifestIn(dir);
    expect(manifest.version).toBe('5.00.9128.1000');
    expect(manifest.items.map((i) => i.name)).toEqual(CLIENT_ITEMS.map((i) => i.name));
    for (const item of manifest.items.filter((i) => i.download)) {
      const file = path.join(dir, ...item.name.split('/'));
      const data = fs.readFileSync(file);
      expect({
        name: item.name,
        size: data.length,
        sha256: crypto.createHash('sha256').update(data).digest('hex').toUpperCase(),
      }).toEqual({
        name: item.name,
        ...item.download,
      });
      expect(fs.statSync(file).mode & 0o777).toBe(0o644);
    }
    for (const folder of ['x64/ClientPatch', 'x64/LanguagePack', 'x64/ClientUpdate'])
      expect(fs.readdirSync(path.join(dir, folder))).toEqual([]);
    expect(listFiles(dir)).toContain('ccmsetup.exe');
  });

  test('a site without a Client folder gets one; one that has it (even a link) is left alone', async () => {
    expect(await ensureClientSource(work, new Date())).toBe(true);
    expect(manifestIn(path.join(work, 'Client')).items.length).toBe(CLIENT_ITEMS.length);
    fs.rmSync(path.join(work, 'Client', 'x64', 'client.msi'));
    expect(await ensureClientSource(work, new Date())).toBe(false);
    expect(fs.existsSync(path.join(work, 'Client', 'x64', 'client.msi'))).toBe(false);
    const other = path.join(work, 'other');
    fs.mkdirSync(other);
    fs.symlinkSync(path.join(work, 'Client'), path.join(other, 'Client'));
    expect(await ensureClientSource(other, new Date())).toBe(false);
    expect(fs.readdirSync(work).filter((n) => n.startsWith('.Client'))).toEqual([]);
  });
});
