import { readCabinet, type CabDefect } from './cab';
import { attribute, child, children, escapeXml, parseXml, type XmlNode } from './xml';

/**
 * ccmsetup.xml, the client manifest that ccmsetup.cab carries. Its schema is not published:
 * ccmlab's shape follows what ccmsetup.log prints of it (the manifest version, each item by
 * its name as `x64/client.msi`, its applicability, the evidence its detection looks for, the
 * files it downloads and checks):
 *
 *   <Manifest Version="5.00.9128.1000" HashAlgorithm="SHA256">
 *     <Item Name="x64/client.msi" Architecture="x64" Platforms="x64" Version="…" Size="…" Hash="…">
 *       <Detection Type="MsiProductCode" Code="{…}"/>
 *     </Item>
 *   </Manifest>
 *
 * Architecture is the file's (its folder: x64, i386, or neutral at the root); Platforms the
 * clients it applies to (an i386 item may apply to x64 clients too, as vcredist_x86.exe does);
 * MinOsVersion and MaxOsVersion bound the Windows versions. A LocalFile item names a file the
 * client already has (dism.exe) and downloads nothing: it has no Size and no Hash.
 */

export type Architecture = 'x64' | 'i386' | 'neutral';
export type Platform = 'x86' | 'x64';

export type Detection =
  | { type: 'MsiProductCode'; code: string }
  | { type: 'MsiUpgradeCode'; code: string }
  | { type: 'FileVersion'; path: string; minimumVersion: string }
  | { type: 'LocalFile'; path: string };

export interface ManifestItem {
  /** As the log prints it and as it lies below CCM_Client: `i386/vcredist_x86.exe`, `SCEPInstall.exe`. */
  name: string;
  architecture: Architecture;
  platforms: Platform[];
  /** `major.minor` Windows versions, inclusive. */
  minOsVersion?: string;
  maxOsVersion?: string;
  version: string;
  detection: Detection;
  /** Bytes and upper-case hex SHA-256 of the file to download; absent for a LocalFile item. */
  download?: { size: number; sha256: string };
}

export interface ClientManifest {
  /** `5.00.9128.1000`: the client version it installs. */
  version: string;
  items: ManifestItem[];
}

export type ManifestResult =
  { ok: true; manifest: ClientManifest } | { ok: false; code: ManifestDefectCode; defect: string };
export type ManifestDefectCode =
  'MANIFEST_MISSING' | 'MANIFEST_NOT_XML' | 'MANIFEST_BAD_ROOT' | 'MANIFEST_BAD_ITEM' | 'MANIFEST_TOO_MANY';

export const MAX_MANIFEST_CHARS = 1024 * 1024;
export const MAX_MANIFEST_ITEMS = 256;
/** Largest file an item may download (4 GiB less one byte: a Windows Installer package's limit is lower). */
export const MAX_ITEM_BYTES = 0xffffffff;

const ITEM_NAME = /^(?:(x64|i386)\/)?[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
const VERSION = /^\d{1,5}(?:\.\d{1,5}){1,3}$/;
const OS_VERSION = /^\d{1,2}\.\d{1,2}$/;
const GUID = /^\{[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}\}$/;
// Printable ASCII but the characters XML would escape: a path is written and read back as it is.
const WINDOWS_PATH = /^[A-Za-z]:\\[ !#-%'-;=?-~]{1,255}$/;
const SHA256_HEX = /^[0-9A-Fa-f]{64}$/;

/** The architecture an item's name implies: its folder. */
export function architectureOf(name: string): Architecture {
  return name.startsWith('x64/') ? 'x64' : name.startsWith('i386/') ? 'i386' : 'neutral';
}

/** Whether an item applies to a client of this platform and Windows version (`6.3`). */
export function isApplicable(item: ManifestItem, client: { platform: Platform; osVersion: string }): boolean {
  const os = versionNumber(client.osVersion);
  if (!item.platforms.includes(client.platform)) return false;
  if (item.minOsVersion !== undefined && os < versionNumber(item.minOsVersion)) return false;
  return item.maxOsVersion === undefined || os <= versionNumber(item.maxOsVersion);
}

function versionNumber(text: string): number {
  const [major, minor] = text.split('.').map(Number);
  return major * 1000 + (minor || 0);
}

function detectionXml(detection: Detection): string {
  const attributes =
    detection.type === 'FileVersion'
      ? `Path="${escapeXml(detection.path)}" MinimumVersion="${detection.minimumVersion}"`
      : detection.type === 'LocalFile'
        ? `Path="${escapeXml(detection.path)}"`
        : `Code="${detection.code}"`;
  return `<Detection Type="${detection.type}" ${attributes}/>`;
}

export function buildManifest(manifest: ClientManifest): string {
  const items = manifest.items.map((item) => {
    const attributes = [
      `Name="${escapeXml(item.name)}"`,
      `Architecture="${item.architecture}"`,
      `Platforms="${item.platforms.join(' ')}"`,
      ...(item.minOsVersion ? [`MinOsVersion="${item.minOsVersion}"`] : []),
      ...(item.maxOsVersion ? [`MaxOsVersion="${item.maxOsVersion}"`] : []),
      `Version="${item.version}"`,
      ...(item.download ? [`Size="${item.download.size}"`, `Hash="${item.download.sha256.toUpperCase()}"`] : []),
    ];
    return `  <Item ${attributes.join(' ')}>\r\n    ${detectionXml(item.detection)}\r\n  </Item>\r\n`;
  });
  return (
    '<?xml version="1.0" encoding="utf-8"?>\r\n' +
    `<Manifest Version="${manifest.version}" HashAlgorithm="SHA256">\r\n${items.join('')}</Manifest>\r\n`
  );
}

type Parsed<T> = { ok: true; value: T } | { ok: false; defect: string };

function parseDetection(node: XmlNode | undefined): Parsed<Detection> {
  const type = attribute(node, 'Type');
  const code = attribute(node, 'Code')?.toUpperCase() ?? '';
  const path = attribute(node, 'Path') ?? '';
  if (type === 'MsiProductCode' || type === 'MsiUpgradeCode')
    return GUID.test(code) ? { ok: true, value: { type, code } } : { ok: false, defect: `its ${type} is not a {GUID}` };
  if (type === 'FileVersion' || type === 'LocalFile') {
    if (!WINDOWS_PATH.test(path)) return { ok: false, defect: `its ${type} Path is not an absolute Windows path` };
    if (type === 'LocalFile') return { ok: true, value: { type, path } };
    const minimumVersion = attribute(node, 'MinimumVersion') ?? '';
    if (!VERSION.test(minimumVersion)) return { ok: false, defect: 'its MinimumVersion is not a dotted version' };
    return { ok: true, value: { type, path, minimumVersion } };
  }
  return { ok: false, defect: 'it has no Detection of type MsiProductCode, MsiUpgradeCode, FileVersion or LocalFile' };
}

function parsePlatforms(text: string | undefined): Platform[] | undefined {
  const list = (text ?? '').split(' ');
  const known = list.every((p) => p === 'x86' || p === 'x64') && new Set(list).size === list.length;
  return known ? (list as Platform[]) : undefined;
}

function parseDownload(node: XmlNode, local: boolean): Parsed<ManifestItem['download']> {
  const size = attribute(node, 'Size');
  const hash = attribute(node, 'Hash');
  if (local)
    return size === undefined && hash === undefined
      ? { ok: true, value: undefined }
      : { ok: false, defect: 'a LocalFile item downloads nothing, yet it has a Size or Hash' };
  if (size === undefined || !/^\d{1,10}$/.test(size) || Number(size) > MAX_ITEM_BYTES)
    return { ok: false, defect: `its Size is not a whole number of bytes up to ${MAX_ITEM_BYTES}` };
  if (hash === undefined || !SHA256_HEX.test(hash))
    return { ok: false, defect: 'its Hash is not 64 hexadecimal digits (SHA-256)' };
  return { ok: true, value: { size: Number(size), sha256: hash.toUpperCase() } };
}

function osBound(node: XmlNode, name: string): Parsed<string | undefined> {
  const value = attribute(node, name);
  return value === undefined || OS_VERSION.test(value)
    ? { ok: true, value }
    : { ok: false, defect: `its ${name} is not a major.minor Windows version` };
}

function parseItem(node: XmlNode): Parsed<ManifestItem> {
  const name = attribute(node, 'Name') ?? '';
  if (!ITEM_NAME.test(name) || name.includes('..'))
    return { ok: false, defect: 'its Name is not a file name, alone or below x64/ or i386/' };
  const architecture = attribute(node, 'Architecture');
  if (architecture !== architectureOf(name))
    return { ok: false, defect: `its Architecture is not '${architectureOf(name)}', as its folder says` };
  const platforms = parsePlatforms(attribute(node, 'Platforms'));
  if (!platforms) return { ok: false, defect: "its Platforms are not 'x86', 'x64' or both" };
  const version = attribute(node, 'Version') ?? '';
  if (!VERSION.test(version)) return { ok: false, defect: 'its Version is not a dotted version' };
  const detection = parseDetection(child(node, 'Detection'));
  if (!detection.ok) return detection;
  const download = parseDownload(node, detection.value.type === 'LocalFile');
  const min = osBound(node, 'MinOsVersion');
  const max = osBound(node, 'MaxOsVersion');
  for (const part of [download, min, max]) if (!part.ok) return part;
  const item: ManifestItem = { name, architecture, platforms, version, detection: detection.value };
  if (min.ok && min.value) item.minOsVersion = min.value;
  if (max.ok && max.value) item.maxOsVersion = max.value;
  if (download.ok && download.value) item.download = download.value;
  return { ok: true, value: item };
}

export function parseManifest(text: string): ManifestResult {
  const parsed = parseXml(text, 'the manifest', MAX_MANIFEST_CHARS);
  if (!parsed.ok) return { ok: false, code: 'MANIFEST_NOT_XML', defect: parsed.defect };
  const root = child(parsed.doc, 'Manifest');
  const version = attribute(root, 'Version') ?? '';
  if (!root || !VERSION.test(version) || attribute(root, 'HashAlgorithm') !== 'SHA256')
    return {
      ok: false,
      code: 'MANIFEST_BAD_ROOT',
      defect: 'the root is not <Manifest> with a dotted Version and HashAlgorithm="SHA256"',
    };
  const nodes = children(root, 'Item');
  if (nodes.length === 0 || nodes.length > MAX_MANIFEST_ITEMS)
    return {
      ok: false,
      code: 'MANIFEST_TOO_MANY',
      defect: `the manifest has ${nodes.length} items; 1 to ${MAX_MANIFEST_ITEMS} are allowed`,
    };
  const items: ManifestItem[] = [];
  const names = new Set<string>();
  for (const [index, node] of nodes.entries()) {
    const item = parseItem(node);
    const name = attribute(node, 'Name') ?? '';
    const label = `item ${index + 1}${ITEM_NAME.test(name) ? ` ('${name}')` : ''}`;
    if (!item.ok) return { ok: false, code: 'MANIFEST_BAD_ITEM', defect: `${label}: ${item.defect}` };
    if (names.has(item.value.name.toLowerCase()))
      return { ok: false, code: 'MANIFEST_BAD_ITEM', defect: `${label}: its Name appears twice` };
    names.add(item.value.name.toLowerCase());
    items.push(item.value);
  }
  return { ok: true, manifest: { version, items } };
}

/** The name of the manifest inside ccmsetup.cab. */
export const MANIFEST_NAME = 'ccmsetup.xml';

/**
 * The manifest ccmsetup.cab carries: the cabinet read (or refused with its CAB_ code), its
 * ccmsetup.xml found in any case (MANIFEST_MISSING if none), read as UTF-8 (a BOM dropped), parsed.
 */
export function manifestFromCabinet(cabinet: Uint8Array): ManifestResult | CabDefect {
  const cab = readCabinet(cabinet, {
    maxBytes: 4 * MAX_MANIFEST_CHARS,
    maxFolders: 1,
    maxFiles: 16,
    maxFileBytes: 4 * MAX_MANIFEST_CHARS,
  });
  if (!cab.ok) return cab;
  const file = cab.files.find((f) => f.name.toLowerCase() === MANIFEST_NAME);
  if (file === undefined)
    return { ok: false, code: 'MANIFEST_MISSING', defect: `the cabinet holds no ${MANIFEST_NAME}` };
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(file.data);
  } catch {
    return { ok: false, code: 'MANIFEST_NOT_XML', defect: `${MANIFEST_NAME} is not UTF-8 text` };
  }
  return parseManifest(text);
}
