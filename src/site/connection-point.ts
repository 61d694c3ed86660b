import * as crypto from 'node:crypto';
import type * as http from 'node:http';
import { newGuid } from '../core/guid';
import { printable } from '../core/text';
import { handleMp, type MpRequest } from './mp';
import type { SiteSettings } from './settings';
import { send, type SiteRuntime } from './site-runtime';

/**
 * The CMG connection point: it sends what the CMG forwards on to the MP's HTTPS address and
 * returns the MP's answer, logging in SMS_CLOUD_PROXYCONNECTOR.log. With Enhanced HTTP (the
 * default) the MP takes the request on the token the CMG checked. Without it the MP is
 * HTTPS-only and requires client certificates: a connection point with no client
 * authentication certificate is refused by the MP's IIS (403) and answers the client
 * `403 CMGConnector_Clientcertificaterequired` (KB-CMG).
 */

export const CLIENT_CERTIFICATE_REQUIRED_REASON = 'CMGConnector_Clientcertificaterequired';
const CLIENT_AUTH_EKU = '1.3.6.1.5.5.7.3.2';
/** The site's certificates with keys on the site server, all issued by its root: the store the connection point picks from. */
const STORE = ['token-signing', 'role-ssl', 'cmg'] as const;

export interface CertificateSelection {
  /** Certificates in the store chained to a root the connection point allows. */
  withRootCa: number;
  /** Of those, the ones for client authentication. */
  withClientAuth: number;
}

/**
 * The client certificate the connection point looks for, given the extended key usages of the
 * certificates in its store: none when the MP uses Enhanced HTTP; otherwise the counts it logs,
 * the connector's own client authentication certificate (the setting) counted in.
 */
export function selectClientCertificate(
  settings: SiteSettings,
  storeEkus: () => ReadonlyArray<readonly string[]>,
): CertificateSelection | undefined {
  if (settings['mp.enhancedHttp']) return undefined;
  const own = settings['connector.clientAuthCertificate'] ? [[CLIENT_AUTH_EKU]] : [];
  const store = [...storeEkus(), ...own];
  return { withRootCa: store.length, withClientAuth: store.filter((ekus) => ekus.includes(CLIENT_AUTH_EKU)).length };
}

/** The MP refused the connection point: .NET's exception, its stack lines (`~~` in the old format) as CRLF lines of one record. */
export function webExceptionRecord(messageId: string): string {
  return [
    `Web exception for message ${messageId}: System.Net.WebException: The remote server returned an error: (403) Forbidden.`,
    '  at System.Net.HttpWebRequest.EndGetResponse(IAsyncResult asyncResult)',
    '  at Microsoft.ConfigurationManager.CloudConnection.ProxyConnector.ConnectionBase.InternalResponseCallBack(IAsyncResult asynchronousResult)',
  ].join('\r\n');
}

export function receivedResponseLine(url: string, messageId: string, status: number, reason: string): string {
  return `Received response ${printable(url)} for message ${messageId}: HTTP/1.1 ${status} ${printable(reason)}`;
}

function storeEkus(runtime: SiteRuntime): string[][] {
  return runtime.credentials.derived('store-ekus', () =>
    STORE.map((name) => new crypto.X509Certificate(runtime.credentials.certificatePem(name)).keyUsage ?? []),
  );
}

/** Forwards one request the CMG accepted to the MP, as the connection point does. */
export function forwardToMp(
  runtime: SiteRuntime,
  req: http.IncomingMessage,
  res: http.ServerResponse,
  request: MpRequest,
): void {
  const log = runtime.logs.connector;
  const messageId = newGuid();
  const url = `https://${runtime.site.config.mpName}${request.path}${request.query}`;
  log.info(`Forwarding proxy message ${messageId} to URL: ${printable(url)}`);
  const selection = selectClientCertificate(runtime.settings(), () => storeEkus(runtime));
  if (selection) {
    log.info(`Filtered cert count with allowed root CA: ${selection.withRootCa}`);
    log.info(`Filtered cert count with client auth: ${selection.withClientAuth}`);
  }
  if (selection?.withClientAuth === 0) {
    log.error(webExceptionRecord(messageId));
    log.info(receivedResponseLine(url, messageId, 403, CLIENT_CERTIFICATE_REQUIRED_REASON));
    return send(res, {
      status: 403,
      reason: CLIENT_CERTIFICATE_REQUIRED_REASON,
      headers: { 'content-type': 'text/plain' },
      body: `${CLIENT_CERTIFICATE_REQUIRED_REASON}\n`,
    });
  }
  res.once('finish', () => log.info(receivedResponseLine(url, messageId, res.statusCode, res.statusMessage)));
  handleMp(runtime, req, res, request);
}
