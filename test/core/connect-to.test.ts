import { parseConnectTo, resolveConnectTo } from '../../src/core/connect-to';
import { CcmlabError } from '../../src/core/errors';

describe('--connect-to (curl syntax)', () => {
  test('maps a documented name and port to a loopback port', () => {
    const entry = parseConnectTo('CONTOSO.CLOUDAPP.NET:443:127.0.0.1:50443');
    expect(entry).toMatchObject({ host: 'contoso.cloudapp.net', port: 443, toHost: '127.0.0.1', toPort: 50443 });
    expect(resolveConnectTo([entry], 'contoso.cloudapp.net', 443)).toEqual({ host: '127.0.0.1', port: 50443 });
    expect(resolveConnectTo([entry], 'other.test', 443)).toEqual({ host: 'other.test', port: 443 });
    expect(resolveConnectTo([entry], 'CONTOSO.CLOUDAPP.NET', 80)).toEqual({ host: 'CONTOSO.CLOUDAPP.NET', port: 80 });
  });

  test('empty fields match anything or keep the original', () => {
    const entry = parseConnectTo('::[::1]:');
    expect(entry).toMatchObject({ host: '', port: undefined, toHost: '::1', toPort: undefined });
    expect(resolveConnectTo([entry], 'x.test', 8443)).toEqual({ host: '::1', port: 8443 });
  });

  test.each(['a:b:c', 'h:99999:127.0.0.1:1', 'h:443:127.0.0.1:x', 'a:1:b:2:c'])('refuses %p', (text) => {
    expect(() => parseConnectTo(text)).toThrow(CcmlabError);
  });

  test.each([
    [':::', /redirects nothing/],
    ['cmg.test:443::', /redirects nothing/],
    [`${'a'.repeat(64)}.test:443:127.0.0.1:1`, /a label of 64 characters/],
    [`${Array.from({ length: 5 }, () => 'a'.repeat(60)).join('.')}:443:127.0.0.1:1`, /more than the 253/],
    ['\uFF43mg.test:443:127.0.0.1:1', /has U\+FF43/],
    ['cmg.test:443:127.0.0.1/x:1', /has '\/'/],
  ])('refuses %p with a reason', (text, reason) => {
    expect(() => parseConnectTo(text)).toThrow(reason);
  });

  test('underscores and bracketed IPv6 are host names', () => {
    expect(parseConnectTo('my_cmg.test:443:[::1]:8443')).toMatchObject({
      host: 'my_cmg.test',
      toHost: '::1',
      toPort: 8443,
    });
  });
});
