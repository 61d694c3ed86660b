/**
 * Where the client source lies on a management point: `/CCM_Client/…` (the site's Client
 * folder), names matched without regard to case as IIS matches them. A path is taken apart
 * here into the names below that folder, and refused (undefined: the server answers 404, as
 * IIS request filtering does) if any name could leave the folder or mean another one: `.`
 * and `..` (also percent-encoded), encoded slashes and backslashes, NUL and control
 * characters, drive letters and stream names (`:`), malformed percent-encoding.
 */

export const CLIENT_CONTENT_ROOT = '/CCM_Client';
const MAX_NAMES = 16;
const MAX_NAME_LENGTH = 255;

/** Whether an MP path (prefix stripped, as the MP sees it) is for the client source. */
export function isClientContentPath(mpPath: string): boolean {
  const lower = mpPath.toLowerCase();
  return lower === '/ccm_client' || lower.startsWith('/ccm_client/');
}

function decodeName(raw: string): string | undefined {
  let name: string;
  try {
    name = decodeURIComponent(raw);
  } catch {
    return undefined;
  }
  if (name === '.' || name === '..' || name.length > MAX_NAME_LENGTH) return undefined;
  if (/[\x00-\x1f\x7f/\\:*?"<>|]/.test(name)) return undefined;
  // Windows drops trailing dots and spaces, so `client.msi.` would name client.msi there: refused, not guessed.
  return /[. ]$/.test(name) ? undefined : name;
}

/** The names below the Client folder that `mpPath` (percent-encoded, starting /CCM_Client) names, or undefined if refused. */
export function contentNames(mpPath: string): string[] | undefined {
  if (!isClientContentPath(mpPath)) return undefined;
  const parts = mpPath.slice(CLIENT_CONTENT_ROOT.length).split('/');
  // A trailing slash (a folder, as WebDAV clients write it) and the leading one are empty parts; no other may be.
  const inner = parts.slice(1, parts.length > 1 && parts[parts.length - 1] === '' ? -1 : undefined);
  if (inner.length > MAX_NAMES || inner.some((p) => p === '')) return undefined;
  const names: string[] = [];
  for (const raw of inner) {
    const name = decodeName(raw);
    if (name === undefined) return undefined;
    names.push(name);
  }
  return names;
}

/** The path of a manifest item (`x64/client.msi`) below the MP, each name percent-encoded. */
export function contentPathOf(itemName: string): string {
  return `${CLIENT_CONTENT_ROOT}/${itemName.split('/').map(encodeURIComponent).join('/')}`;
}
