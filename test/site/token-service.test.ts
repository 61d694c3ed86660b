import * as crypto from 'node:crypto';
import {
  issueBulkToken,
  issueClientToken,
  verifySiteToken,
  type TokenSigner,
  type TokenVerifier,
  type VerifyOptions,
} from '../../src/site/token-service';
import { articleCorruptedToken } from '../support/paths';

const hierarchyId = 'cdcc5e91-0adf-4a24-82d0-196667f1c081';
const { privateKey, publicKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
const other = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
const signer: TokenSigner = { x5t: 'CURRENT-X5T', privateKey };
const verifier: TokenVerifier = { x5t: 'CURRENT-X5T', publicKey };
const now = new Date('2026-11-25T10:00:00Z');
const guid = '3f2504e0-4f89-11d3-9a0c-0305e82c3301';

const bulk = (overrides: Partial<{ notBefore: Date; lifetimeMinutes: number }> = {}) =>
  issueBulkToken(signer, {
    hierarchyId,
    guid,
    notBefore: overrides.notBefore ?? now,
    lifetimeMinutes: overrides.lifetimeMinutes ?? 4320,
  });

/** The site's record of the token as issued: nbf and exp as the token carries them, not blocked. */
const issuedAs = (token: string) => () => {
  const payload = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString()) as {
    nbf: number;
    exp: number;
  };
  return { nbf: payload.nbf, exp: payload.exp, blocked: false };
};
const options = (extra: Partial<VerifyOptions> = {}): VerifyOptions => ({
  kind: 'bulk',
  verifier,
  hierarchyId,
  now,
  lookupBulkToken: () => undefined,
  ...extra,
});
const verify = (token: string, extra: Partial<VerifyOptions> = {}) =>
  verifySiteToken(token, options({ lookupBulkToken: issuedAs(token), ...extra }));

function parts(token: string) {
  const [h, p, s] = token.split('.');
  return {
    header: JSON.parse(Buffer.from(h, 'base64url').toString()),
    payload: JSON.parse(Buffer.from(p, 'base64url').toString()),
    h,
    p,
    s,
  };
}

function b64(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

/** Re-signs edited claims with the real key: only the claim checks can catch these. */
function resigned(edit: (payload: Record<string, unknown>) => void, header?: Record<string, unknown>): string {
  const { header: h, payload } = parts(bulk());
  edit(payload);
  const input = `${b64(header ?? h)}.${b64(payload)}`;
  return `${input}.${crypto.sign('sha256', Buffer.from(input), privateKey).toString('base64url')}`;
}

describe('bulk registration token', () => {
  test('has the documented header, claim order and lifetime', () => {
    const { header, payload } = parts(bulk({ lifetimeMinutes: 60 }));
    expect(header).toEqual({ typ: 'JWT', alg: 'RS256', x5t: 'CURRENT-X5T' });
    expect(Object.keys(payload)).toEqual([
      'SCCMTokenCategory',
      'Authority',
      'License',
      'Type',
      'TenantId',
      'UniqueId',
      'iss',
      'aud',
      'exp',
      'nbf',
    ]);
    expect(payload).toMatchObject({
      SCCMTokenCategory: 'SCCMPreAuthToken',
      Authority: 'SCCM',
      License: 'SCCM',
      Type: 'BulkRegistration',
      TenantId: hierarchyId.toUpperCase(),
      UniqueId: guid,
      iss: `urn:sccm:oauth2:${hierarchyId}`,
      aud: 'urn:sccm:service',
    });
    expect(payload.exp - payload.nbf).toBe(3600);
    expect(payload.iat).toBeUndefined();
  });

  test('a fresh token verifies', () => {
    const result = verify(bulk());
    expect(result.ok).toBe(true);
  });

  const cases: Array<[string, () => string, Partial<VerifyOptions>, string, RegExp]> = [
    [
      'tampered payload',
      () => {
        const t = parts(bulk());
        return `${t.h}.${b64({ ...t.payload, exp: t.payload.exp + 99999 })}.${t.s}`;
      },
      {},
      'TOKEN_BAD_SIGNATURE',
      /IDX10503: Signature validation failed/,
    ],
    [
      'tampered signature',
      () => {
        const t = parts(bulk());
        const sig = Buffer.from(t.s, 'base64url');
        sig[10] ^= 1;
        return `${t.h}.${t.p}.${sig.toString('base64url')}`;
      },
      {},
      'TOKEN_BAD_SIGNATURE',
      /IDX10503/,
    ],
    [
      'alg none',
      () => {
        const t = parts(bulk());
        return `${b64({ ...t.header, alg: 'none' })}.${t.p}.`;
      },
      {},
      'TOKEN_MALFORMED',
      /signature is empty/,
    ],
    [
      'alg none with a signature',
      () => {
        const t = parts(bulk());
        return `${b64({ ...t.header, alg: 'none' })}.${t.p}.${t.s}`;
      },
      {},
      'TOKEN_BAD_ALGORITHM',
      /IDX10696: The algorithm 'none' is not supported/,
    ],
    [
      'HS256 keyed with the public key',
      () => {
        const t = parts(bulk());
        const input = `${b64({ ...t.header, alg: 'HS256' })}.${t.p}`;
        const secret = publicKey.export({ type: 'spki', format: 'pem' });
        return `${input}.${crypto.createHmac('sha256', secret).update(input).digest('base64url')}`;
      },
      {},
      'TOKEN_BAD_ALGORITHM',
      /'HS256' is not supported/,
    ],
    [
      'unknown x5t',
      () =>
        issueBulkToken(
          { x5t: 'OLD-X5T', privateKey: other.privateKey },
          { hierarchyId, guid, notBefore: now, lifetimeMinutes: 60 },
        ),
      {},
      'TOKEN_UNKNOWN_SIGNER',
      /IDX10501: Signature validation failed. Unable to match key: x5t: 'OLD-X5T'/,
    ],
    [
      'right x5t, other key',
      () =>
        issueBulkToken(
          { x5t: 'CURRENT-X5T', privateKey: other.privateKey },
          { hierarchyId, guid, notBefore: now, lifetimeMinutes: 60 },
        ),
      {},
      'TOKEN_BAD_SIGNATURE',
      /IDX10503/,
    ],
    [
      'wrong aud',
      () => resigned((p) => (p.aud = 'urn:other')),
      {},
      'TOKEN_BAD_AUDIENCE',
      /IDX10214: Audience validation failed. Audiences: 'urn:other'/,
    ],
    [
      'wrong iss',
      () => resigned((p) => (p.iss = 'urn:sccm:oauth2:other')),
      {},
      'TOKEN_BAD_ISSUER',
      /IDX10205: Issuer validation failed/,
    ],
    [
      'wrong Type',
      () => resigned((p) => (p.Type = 'ClientToken')),
      {},
      'TOKEN_WRONG_KIND',
      /expected 'SCCMPreAuthToken' of type 'BulkRegistration'/,
    ],
    [
      'wrong category',
      () => resigned((p) => (p.SCCMTokenCategory = 'SCCMClientToken')),
      {},
      'TOKEN_WRONG_KIND',
      /not accepted here/,
    ],
    [
      'other hierarchy',
      () => resigned((p) => (p.TenantId = 'AAAAAAAA-0ADF-4A24-82D0-196667F1C081')),
      {},
      'TOKEN_BAD_TENANT',
      /is not this hierarchy/,
    ],
    ['missing claim', () => resigned((p) => delete p.License), {}, 'TOKEN_BAD_CLAIMS', /no 'License' claim/],
    [
      'expired',
      () => bulk({ notBefore: new Date('2026-11-01T00:00:00Z'), lifetimeMinutes: 60 }),
      {},
      'TOKEN_EXPIRED',
      /IDX10223: Lifetime validation failed. The token is expired./,
    ],
    [
      'not yet valid',
      () => bulk({ notBefore: new Date('2026-11-26T00:00:00Z') }),
      {},
      'TOKEN_NOT_YET_VALID',
      /IDX10222: Lifetime validation failed. The token is not yet valid./,
    ],
    [
      'blocked',
      () => bulk(),
      { lookupBulkToken: (g) => (g === guid ? { ...issuedAs(bulk())(), blocked: true } : undefined) },
      'TOKEN_BLOCKED',
      new RegExp(`Bulk registration token ${guid} is blocked`),
    ],
    [
      'a GUID the site never issued',
      () => bulk(),
      { lookupBulkToken: () => undefined },
      'TOKEN_NOT_ISSUED',
      /never issued by this site/,
    ],
    [
      'a validity other than the issued one',
      () => resigned((p) => (p.exp = (p.exp as number) + 60)),
      { lookupBulkToken: issuedAs(bulk()) },
      'TOKEN_NOT_ISSUED',
      /claims a validity other than/,
    ],
    [
      'a blocked GUID written in braces',
      () => resigned((p) => (p.UniqueId = `{${guid}}`)),
      { lookupBulkToken: (g) => ({ ...issuedAs(bulk())(), blocked: g === guid }) },
      'TOKEN_BAD_CLAIMS',
      /not a lower-case GUID/,
    ],
    [
      'a blocked GUID in upper case',
      () => resigned((p) => (p.UniqueId = guid.toUpperCase())),
      { lookupBulkToken: (g) => ({ ...issuedAs(bulk())(), blocked: g === guid }) },
      'TOKEN_BAD_CLAIMS',
      /not a lower-case GUID/,
    ],
    ['a lifetime over 10080 minutes', () => bulk({ lifetimeMinutes: 10081 }), {}, 'TOKEN_BAD_LIFETIME', /IDX10224/],
    ['exp before nbf', () => resigned((p) => (p.exp = (p.nbf as number) - 1)), {}, 'TOKEN_BAD_LIFETIME', /IDX10224/],
    [
      'a fractional exp',
      () => resigned((p) => (p.exp = (p.exp as number) + 0.5)),
      {},
      'TOKEN_BAD_CLAIMS',
      /'exp' claim is not a whole number/,
    ],
    [
      'an exp of 1e400 (Infinity)',
      () => {
        const t = parts(bulk());
        const input = `${t.h}.${Buffer.from(JSON.stringify(t.payload).replace(/"exp":\d+/, '"exp":1e400')).toString('base64url')}`;
        return `${input}.${crypto.sign('sha256', Buffer.from(input), privateKey).toString('base64url')}`;
      },
      {},
      'TOKEN_BAD_CLAIMS',
      /'exp' claim is not a whole number/,
    ],
    [
      'duplicate Type keys',
      () => {
        const t = parts(bulk());
        const input = `${t.h}.${Buffer.from(JSON.stringify(t.payload).replace('"Type":"BulkRegistration"', '"Type":"ClientToken","Type":"BulkRegistration"')).toString('base64url')}`;
        return `${input}.${crypto.sign('sha256', Buffer.from(input), privateKey).toString('base64url')}`;
      },
      {},
      'TOKEN_MALFORMED',
      /duplicate key "Type"/,
    ],
    [
      'duplicate keys spelled with an escape',
      () => {
        const t = parts(bulk());
        const input = `${t.h}.${Buffer.from(JSON.stringify(t.payload).replace('"Type":"BulkRegistration"', '"Type":"BulkRegistration","\\u0054ype":"ClientToken"')).toString('base64url')}`;
        return `${input}.${crypto.sign('sha256', Buffer.from(input), privateKey).toString('base64url')}`;
      },
      {},
      'TOKEN_MALFORMED',
      /duplicate key "Type"/,
    ],
    [
      'alg none then RS256 in one header',
      () => {
        const t = parts(bulk());
        const input = `${Buffer.from(`{"typ":"JWT","alg":"none","alg":"RS256","x5t":"CURRENT-X5T"}`).toString('base64url')}.${t.p}`;
        return `${input}.${crypto.sign('sha256', Buffer.from(input), privateKey).toString('base64url')}`;
      },
      {},
      'TOKEN_MALFORMED',
      /duplicate key "alg"/,
    ],
    [
      'a non-canonical spelling (non-zero trailing bits)',
      () => {
        const t = parts(bulk());
        const abc = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
        const last = t.s[t.s.length - 1];
        return `${t.h}.${t.p}.${t.s.slice(0, -1)}${abc[abc.indexOf(last) ^ 1]}`;
      },
      {},
      'TOKEN_MALFORMED',
      /not canonical base64url/,
    ],
    [
      'a token of 4097 characters',
      () => `${bulk()}${'A'.repeat(4097)}`.slice(0, 4097),
      {},
      'TOKEN_TOO_LARGE',
      /IDX10209: Token has length: '4097'/,
    ],
    ['truncated', () => bulk().slice(0, 100), {}, 'TOKEN_MALFORMED', /IDX12741/],
    [
      '1 MB of garbage',
      () => 'x'.repeat(1024 * 1024),
      {},
      'TOKEN_TOO_LARGE',
      /larger than the MaxTokenSizeInBytes: '4096'/,
    ],
    ['the article corrupted example', articleCorruptedToken, {}, 'TOKEN_MALFORMED', /payload is not valid JSON/],
    [
      'a client token where a bulk one is due',
      () =>
        issueClientToken(signer, {
          hierarchyId,
          smsid: 'GUID:5C1E1B7E-0D7F-4C2B-9B2A-3E4F5A6B7C8D',
          signingCertificateDer: Buffer.from('cert'),
          issuedAt: now,
          jti: guid,
        }),
      {},
      'TOKEN_WRONG_KIND',
      /expected 'SCCMPreAuthToken'/,
    ],
  ];
  test.each(cases)('refuses: %s', (_name, make, extra, code, reason) => {
    const result = verify(make(), extra);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.code).toBe(code);
    expect(result.reason.join('\n')).toMatch(reason);
    expect(result.exception).toMatch(/^System\.IdentityModel\.Tokens\.\w+Exception$/);
  });

  test('expiry is reported in the CCM_STS.log shape', () => {
    const result = verify(bulk({ notBefore: new Date('2020-10-01T21:03:24Z'), lifetimeMinutes: 60 }), {
      now: new Date('2020-10-28T13:05:05Z'),
    });
    expect(result).toMatchObject({
      ok: false,
      exception: 'System.IdentityModel.Tokens.SecurityTokenExpiredException',
      reason: [
        'IDX10223: Lifetime validation failed. The token is expired.',
        "ValidTo: '10/01/2020 22:03:24'",
        "Current time: '10/28/2020 13:05:05'.",
      ],
    });
  });

  test('5 minutes of clock skew are allowed either side', () => {
    const token = bulk({ notBefore: now, lifetimeMinutes: 60 });
    expect(verify(token, { now: new Date(now.getTime() + 64 * 60_000) }).ok).toBe(true);
    expect(verify(token, { now: new Date(now.getTime() + 66 * 60_000) }).ok).toBe(false);
    expect(verify(token, { now: new Date(now.getTime() - 4 * 60_000) }).ok).toBe(true);
    expect(verify(token, { now: new Date(now.getTime() - 6 * 60_000) }).ok).toBe(false);
  });
});

describe('unique client token', () => {
  const der = Buffer.from('signing certificate DER');
  const token = issueClientToken(signer, {
    hierarchyId,
    smsid: 'GUID:5C1E1B7E-0D7F-4C2B-9B2A-3E4F5A6B7C8D',
    signingCertificateDer: der,
    issuedAt: now,
    jti: guid,
  });

  test('carries DeviceId, cnf, iat and jti, valid 90 days', () => {
    const { payload } = parts(token);
    expect(Object.keys(payload)).toEqual([
      'SCCMTokenCategory',
      'Authority',
      'Type',
      'TenantId',
      'DeviceId',
      'cnf',
      'iss',
      'aud',
      'iat',
      'nbf',
      'exp',
      'jti',
    ]);
    expect(payload).toMatchObject({
      SCCMTokenCategory: 'SCCMClientToken',
      Type: 'ClientToken',
      DeviceId: 'GUID:5C1E1B7E-0D7F-4C2B-9B2A-3E4F5A6B7C8D',
      jti: guid,
    });
    expect(payload.cnf['x5t#S256']).toBe(crypto.createHash('sha256').update(der).digest('base64url'));
    expect(payload.exp - payload.iat).toBe(90 * 86_400);
  });

  test('verifies as a client token and never as a bulk one', () => {
    expect(verifySiteToken(token, options({ kind: 'client' })).ok).toBe(true);
    expect(verifySiteToken(token, options({ kind: 'bulk' }))).toMatchObject({ ok: false, code: 'TOKEN_WRONG_KIND' });
    expect(verify(bulk(), { kind: 'client' })).toMatchObject({ ok: false, code: 'TOKEN_WRONG_KIND' });
  });

  test('expires after 90 days', () => {
    expect(verifySiteToken(token, options({ kind: 'client', now: new Date(now.getTime() + 89 * 86_400_000) })).ok).toBe(
      true,
    );
    expect(
      verifySiteToken(token, options({ kind: 'client', now: new Date(now.getTime() + 91 * 86_400_000) })),
    ).toMatchObject({ code: 'TOKEN_EXPIRED' });
  });
});
