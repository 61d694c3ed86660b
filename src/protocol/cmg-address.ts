/**
 * How a Cloud Management Gateway is addressed: each management point it fronts has a path of
 * its own, `/CCM_Proxy_MutualAuth/<MP role ID>`, and ccmsetup names the CMG by host and that
 * path (CCMHOSTNAME, /mp). Built here alone, so that every part of ccmlab writes it the same way.
 */

/** The path under which the CMG serves the management point with this role ID. */
export function cmgProxyPath(roleId: string): string {
  return `/CCM_Proxy_MutualAuth/${roleId}`;
}

/** The CMG as CCMHOSTNAME takes it: `HOST[:PORT]/CCM_Proxy_MutualAuth/<role ID>`, no scheme. */
export function cmgHostName(host: string, roleId: string): string {
  return `${host}${cmgProxyPath(roleId)}`;
}

/**
 * The ccmsetup command line of token-based enrollment through a CMG, as Microsoft's article
 * gives it: `/mp:https://CMG/CCM_Proxy_MutualAuth/ID CCMHOSTNAME=CMG/CCM_Proxy_MutualAuth/ID
 * SMSSiteCode=ABC /regtoken:TOKEN`. `cmg` is the CMG as CCMHOSTNAME takes it (cmgHostName).
 */
export function tokenEnrollmentCommandLine(cmg: string, siteCode: string, token: string): string[] {
  return [`/mp:https://${cmg}`, `CCMHOSTNAME=${cmg}`, `SMSSiteCode=${siteCode}`, `/regtoken:${token}`];
}
