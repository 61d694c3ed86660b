import * as crypto from 'node:crypto';
import { AGENT_VERSION } from '../protocol/agent-version';
import { architectureOf, type Detection, type ManifestItem, type Platform } from '../protocol/client-manifest';

/**
 * What the site's Client folder holds, in the manifest's order. The item names, and which of
 * them a Windows Server 2012 R2 x64 client finds pending, detected or not applicable, are
 * those of a real ccmsetup.log (client 5.0.8458.1007); the order within each of those three
 * groups is the log's, how the groups interleave is ccmlab's. So are the versions, the
 * product and upgrade codes (derived from the names, stable), and the OS bounds, but where
 * the log shows the evidence: wuapi.dll at least 7.4.7600.226, msrdc.dll, dism.exe.
 *
 * `realSize` is ccmlab's estimate of each published download's size (bytes), but for
 * ccmsetup.exe, whose 1,888,440 bytes the log shows. The default ("small") sizes are 2 to 8
 * KiB, derived from the name.
 */

export interface CatalogueItem extends Omit<ManifestItem, 'download' | 'architecture'> {
  /** Absent for a LocalFile item: nothing to download. */
  realSize?: number;
}

const BOTH: Platform[] = ['x86', 'x64'];
const X86: Platform[] = ['x86'];
const X64: Platform[] = ['x64'];
const SYSTEM32 = 'C:\\Windows\\system32';

/** A {GUID} of ccmlab's for a product or upgrade code not published: the same for the same name. */
function labCode(name: string, kind: string): string {
  const hex = crypto.createHash('sha256').update(`ccmlab ${kind} ${name}`).digest('hex').toUpperCase();
  return `{${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}}`;
}

const product = (name: string): Detection => ({ type: 'MsiProductCode', code: labCode(name, 'product') });
const upgrade = (name: string): Detection => ({ type: 'MsiUpgradeCode', code: labCode(name, 'upgrade') });
const fileVersion = (path: string, minimumVersion: string): Detection => ({
  type: 'FileVersion',
  path,
  minimumVersion,
});
const localFile = (path: string): Detection => ({ type: 'LocalFile', path });

const WUAPI = fileVersion(`${SYSTEM32}\\wuapi.dll`, '7.4.7600.226');
const MSRDC = fileVersion(`${SYSTEM32}\\msrdc.dll`, '6.0.6000.16386');
const WIC = fileVersion(`${SYSTEM32}\\WindowsCodecs.dll`, '6.0.5840.16388');

export const CLIENT_ITEMS: readonly CatalogueItem[] = [
  {
    name: 'i386/WindowsUpdateAgent30-x86.exe',
    platforms: X86,
    version: '7.6.7600.256',
    detection: WUAPI,
    realSize: 6_990_184,
  },
  {
    name: 'x64/WindowsUpdateAgent30-x64.exe',
    platforms: X64,
    version: '7.6.7600.256',
    detection: WUAPI,
    realSize: 9_462_616,
  },
  {
    name: 'i386/msxml6.msi',
    platforms: X86,
    version: '6.30.9600.16384',
    detection: upgrade('msxml6'),
    realSize: 1_593_344,
  },
  {
    name: 'x64/msxml6_x64.msi',
    platforms: X64,
    version: '6.30.9600.16384',
    detection: upgrade('msxml6_x64'),
    realSize: 2_899_968,
  },
  {
    name: 'i386/msrdcoob_x86.exe',
    platforms: X86,
    maxOsVersion: '5.2',
    version: '6.0.6000.16386',
    detection: MSRDC,
    realSize: 701_224,
  },
  {
    name: 'x64/msrdcoob_amd64.exe',
    platforms: X64,
    maxOsVersion: '5.2',
    version: '6.0.6000.16386',
    detection: MSRDC,
    realSize: 947_496,
  },
  {
    name: 'i386/vcredist_x86.exe',
    platforms: BOTH,
    version: '12.0.40660.0',
    detection: upgrade('vcredist_x86'),
    realSize: 6_510_544,
  },
  {
    name: 'x64/vcredist_x64.exe',
    platforms: X64,
    version: '12.0.40660.0',
    detection: upgrade('vcredist_x64'),
    realSize: 7_194_312,
  },
  {
    name: 'pkgmgr.exe',
    platforms: BOTH,
    maxOsVersion: '6.0',
    version: '6.0.6000.16386',
    detection: localFile(`${SYSTEM32}\\pkgmgr.exe`),
  },
  {
    name: 'dism.exe',
    platforms: BOTH,
    minOsVersion: '6.1',
    version: '6.3.9600.17031',
    detection: localFile(`${SYSTEM32}\\dism.exe`),
  },
  {
    name: 'wimgapi.msi',
    platforms: BOTH,
    maxOsVersion: '6.0',
    version: '6.0.6001.18000',
    detection: product('wimgapi'),
    realSize: 749_568,
  },
  {
    name: 'i386/MicrosoftPolicyPlatformSetup.msi',
    platforms: X86,
    version: '68.1.1010.0',
    detection: upgrade('MicrosoftPolicyPlatformSetup'),
    realSize: 1_052_672,
  },
  {
    name: 'x64/MicrosoftPolicyPlatformSetup.msi',
    platforms: X64,
    version: '68.1.1010.0',
    detection: upgrade('MicrosoftPolicyPlatformSetup'),
    realSize: 1_351_680,
  },
  {
    name: 'i386/WindowsFirewallConfigurationProvider.msi',
    platforms: X86,
    version: '1.2.3412.0',
    detection: product('WindowsFirewallConfigurationProvider_x86'),
    realSize: 249_856,
  },
  {
    name: 'x64/WindowsFirewallConfigurationProvider.msi',
    platforms: X64,
    version: '1.2.3412.0',
    detection: product('WindowsFirewallConfigurationProvider_x64'),
    realSize: 258_048,
  },
  {
    name: 'i386/Silverlight.exe',
    platforms: BOTH,
    version: '5.1.50918.0',
    detection: fileVersion('C:\\Program Files (x86)\\Microsoft Silverlight\\sllauncher.exe', '5.1.50918.0'),
    realSize: 6_882_384,
  },
  {
    name: 'i386/NDP452-KB2901907-x86-x64-AllOS-ENU.exe',
    platforms: BOTH,
    version: '4.5.51209.34209',
    detection: fileVersion('C:\\Windows\\Microsoft.NET\\Framework\\v4.0.30319\\clr.dll', '4.0.30319.34209'),
    realSize: 70_057_248,
  },
  {
    name: 'SCEPInstall.exe',
    platforms: BOTH,
    version: '4.10.209.0',
    detection: fileVersion('C:\\Program Files\\Microsoft Security Client\\MsMpEng.exe', '4.10.209.0'),
    realSize: 16_713_472,
  },
  {
    name: 'i386/wic_x86_enu.exe',
    platforms: X86,
    maxOsVersion: '5.2',
    version: '6.0.5840.16388',
    detection: WIC,
    realSize: 1_228_104,
  },
  {
    name: 'x64/wic_x64_enu.exe',
    platforms: X64,
    maxOsVersion: '5.2',
    version: '6.0.5840.16388',
    detection: WIC,
    realSize: 1_874_760,
  },
  {
    name: 'i386/client.msi',
    platforms: X86,
    version: AGENT_VERSION,
    detection: product('client.msi x86'),
    realSize: 31_789_056,
  },
  {
    name: 'x64/client.msi',
    platforms: X64,
    version: AGENT_VERSION,
    detection: product('client.msi x64'),
    realSize: 40_001_536,
  },
];

/** ccmsetup.exe beside ccmsetup.cab, as in a real Client folder; not a manifest item. */
export const CCMSETUP_EXE = { name: 'ccmsetup.exe', realSize: 1_888_440 };

export type ContentSize = 'small' | 'real';
export const CONTENT_SIZES: readonly ContentSize[] = ['small', 'real'];

/** Bytes of a generated file: its estimate, or 2 to 8 KiB by its name. */
export function sizeOf(name: string, realSize: number, contentSize: ContentSize): number {
  if (contentSize === 'real') return realSize;
  return 2048 + (crypto.createHash('sha256').update(name).digest().readUInt16LE(0) % 6144);
}

/** The manifest entry of a catalogue item, with what its file turned out to be. */
export function manifestItem(item: CatalogueItem, download?: { size: number; sha256: string }): ManifestItem {
  const { realSize: _realSize, ...rest } = item;
  return { ...rest, architecture: architectureOf(item.name), ...(download ? { download } : {}) };
}
