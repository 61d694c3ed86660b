import { cmgProxyPath } from './cmg-address';
import { escapeXml } from './xml';

/**
 * What the MP and the CMG answer besides registration. Location replies of `GET /SMS_MP/.sms_aut?…`: MPLIST follows the public shape; the
 * others are ccmlab's (their exact public form is not documented): MPKEYINFORMATION
 * carries the MP's public key, SITESIGNCERT and MPCERT a certificate, all hex DER.
 */

export interface MpListEntry {
  name: string;
  fqdn: string;
  version: string;
  /** 0 HTTP, 1 HTTPS (the Capabilities' SSLState). */
  sslState: '0' | '1';
}

export function buildMpList(entries: readonly MpListEntry[]): string {
  const mps = entries
    .map(
      (mp) =>
        `<MP Name="${escapeXml(mp.name)}" FQDN="${escapeXml(mp.fqdn)}"><Version>${escapeXml(mp.version)}</Version>` +
        `<Capabilities SchemaVersion="1.0"><Property Name="SSLState" Value="${mp.sslState}"/></Capabilities></MP>`,
    )
    .join('');
  return `<MPList>${mps}</MPList>`;
}

export function buildMpKeyInformation(
  siteCode: string,
  mp: { name: string; fqdn: string },
  publicKeyDer: Buffer,
): string {
  return (
    `<MPKEYINFORMATION><SITECODE>${escapeXml(siteCode)}</SITECODE><MPS><MP><NAME>${escapeXml(mp.name)}</NAME>` +
    `<FQDN>${escapeXml(mp.fqdn)}</FQDN><PUBLICKEY>${publicKeyDer.toString('hex').toUpperCase()}</PUBLICKEY></MP></MPS></MPKEYINFORMATION>`
  );
}

export function buildCertificateReply(element: 'SITESIGNCERT' | 'MPCERT', siteCode: string, der: Buffer): string {
  return `<${element} SiteCode="${escapeXml(siteCode)}"><Certificate Encoding="HexBinary">${der.toString('hex').toUpperCase()}</Certificate></${element}>`;
}

/** The CMG's ServiceMetadata (ccmlab's shape): the MPs it fronts. */
export function buildServiceMetadata(cmgName: string, siteCode: string, roleIds: readonly string[]): string {
  const mps = roleIds
    .map(
      (id) =>
        `<ManagementPoint RoleID="${escapeXml(id)}" Path="${escapeXml(cmgProxyPath(id))}" SiteCode="${escapeXml(siteCode)}"/>`,
    )
    .join('');
  return `<ServiceMetadata Name="${escapeXml(cmgName)}"><ManagementPoints>${mps}</ManagementPoints></ServiceMetadata>`;
}

/** An empty but well-formed policy assignment reply, as clients that ask for policy expect. */
export function buildReplyAssignments(smsid: string, siteCode: string): string {
  return `<ReplyAssignments SchemaVersion="1.00" ReplyType="Full" ResourceType="Machine"><Identification><Machine><ClientID>${escapeXml(smsid)}</ClientID></Machine></Identification><PolicySource>SMS:${escapeXml(siteCode)}</PolicySource><PolicyAssignments/></ReplyAssignments>`;
}
