import { receivedResponseLine, selectClientCertificate, webExceptionRecord } from '../../src/site/connection-point';
import { DEFAULT_SETTINGS, type SiteSettings } from '../../src/site/settings';

const SERVER_AUTH = '1.3.6.1.5.5.7.3.1';
const CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';
/** The lab site's store: the token signing certificate (no EKU), the MP's and the CMG's server certificates. */
const siteStore = () => [[], [SERVER_AUTH], [SERVER_AUTH]];
const settings = (changes: Partial<SiteSettings>): SiteSettings => ({ ...DEFAULT_SETTINGS, ...changes });

describe('the connection point chooses a client certificate only for an MP without Enhanced HTTP', () => {
  test('Enhanced HTTP (the default): no selection, the store is not even read', () => {
    const store = jest.fn(siteStore);
    expect(selectClientCertificate(DEFAULT_SETTINGS, store)).toBeUndefined();
    expect(store).not.toHaveBeenCalled();
  });

  test('HTTPS-only MP, no client authentication certificate: three from the root, none for client auth', () => {
    expect(selectClientCertificate(settings({ 'mp.enhancedHttp': false }), siteStore)).toEqual({
      withRootCa: 3,
      withClientAuth: 0,
    });
  });

  test("HTTPS-only MP with the connection point's client authentication certificate: one to use", () => {
    expect(
      selectClientCertificate(
        settings({ 'mp.enhancedHttp': false, 'connector.clientAuthCertificate': true }),
        siteStore,
      ),
    ).toEqual({ withRootCa: 4, withClientAuth: 1 });
  });

  test('a store certificate that allows client authentication counts too', () => {
    expect(selectClientCertificate(settings({ 'mp.enhancedHttp': false }), () => [[SERVER_AUTH, CLIENT_AUTH]])).toEqual(
      { withRootCa: 1, withClientAuth: 1 },
    );
  });
});

describe('SMS_CLOUD_PROXYCONNECTOR.log lines (KB-CMG)', () => {
  const id = '3087bd34-b82c-4950-b972-e82bb0fb8385';

  test('the web exception is one record, its stack lines after CRLF where the old format has ~~', () => {
    expect(webExceptionRecord(id).split('\r\n')).toEqual([
      `Web exception for message ${id}: System.Net.WebException: The remote server returned an error: (403) Forbidden.`,
      '  at System.Net.HttpWebRequest.EndGetResponse(IAsyncResult asyncResult)',
      '  at Microsoft.ConfigurationManager.CloudConnection.ProxyConnector.ConnectionBase.InternalResponseCallBack(IAsyncResult asynchronousResult)',
    ]);
  });

  test('the response line; a value from the wire cannot break the line', () => {
    expect(
      receivedResponseLine(
        'https://InternalMP.contoso.com/SMS_MP/.sms_aut?SITESIGNCERT',
        id,
        403,
        'CMGConnector_Clientcertificaterequired',
      ),
    ).toBe(
      `Received response https://InternalMP.contoso.com/SMS_MP/.sms_aut?SITESIGNCERT for message ${id}: HTTP/1.1 403 CMGConnector_Clientcertificaterequired`,
    );
    expect(receivedResponseLine('https://mp/x?a\r\nb', id, 200, 'OK')).toBe(
      `Received response https://mp/x?a\\r\\nb for message ${id}: HTTP/1.1 200 OK`,
    );
  });
});
