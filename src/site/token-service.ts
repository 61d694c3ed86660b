import * as crypto from 'node:crypto';
import { base64urlEncode, BULK_TOKEN_CLAIMS, claimShapeDefect, decodeJwt } from '../protocol/jwt';

/**
 * Issues and verifies site tokens (RS256 JWTs signed by the SMS Token Signing
 * Certificate): the bulk registration token of BulkRegistrationTokenTool and the unique
 * client token the MP's token service hands a registered client. Verification checks
 * everything a token carries and says why it fails in the style of CCM_STS.log.
 */

export interface TokenSigner {
  /** base64url SHA-1 of the signing certificate's DER. */
  x5t: string;
  privateKey: crypto.KeyObject;
}

export interface TokenVerifier {
  x5t: string;
  publicKey: crypto.KeyObject;
}

export const MAX_TOKEN_LENGTH = 16 * 1024;
export const CLOCK_SKEW_SECONDS = 300;
export const AUDIENCE = 'urn:sccm:service';
export const CLIENT_TOKEN_DAYS = 90;

export function issuerOf(hierarchyId: string): string {
  return `urn:sccm:oauth2:${hierarchyId.toLowerCase()}`;
}

function sign(signer: TokenSigner, payload: Record<string, unknown>): string {
  const header = { typ: 'JWT', alg: 'RS256', x5t: signer.x5t };
  const signingInput = `${base64urlEncode(JSON.stringify(header))}.${base64urlEncode(JSON.stringify(payload))}`;
  const signature = crypto.sign('sha256', Buffer.from(signingInput, 'ascii'), signer.privateKey);
  return `${signingInput}.${signature.toString('base64url')}`;
}

export interface BulkTokenRequest {
  hierarchyId: string;
  guid: string;
  notBefore: Date;
  lifetimeMinutes: number;
}

/** The bulk registration token, claims in the real tool's order, no iat, exp - nbf = lifetime. */
export function issueBulkToken(signer: TokenSigner, request: BulkTokenRequest): string {
  const nbf = Math.floor(request.notBefore.getTime() / 1000);
  return sign(signer, {
    SCCMTokenCategory: 'SCCMPreAuthToken',
    Authority: 'SCCM',
    License: 'SCCM',
    Type: 'BulkRegistration',
    TenantId: request.hierarchyId.toUpperCase(),
    UniqueId: request.guid.toLowerCase(),
    iss: issuerOf(request.hierarchyId),
    aud: AUDIENCE,
    exp: nbf + request.lifetimeMinutes * 60,
    nbf,
  });
}

export interface ClientTokenRequest {
  hierarchyId: string;
  /** `GUID:<UPPER-CASE GUID>` */
  smsid: string;
  signingCertificateDer: Buffer;
  issuedAt: Date;
  jti: string;
}

/** The unique client token (ccmlab's claims; the real ones are not public): 90 days, bound to the signing certificate. */
export function issueClientToken(signer: TokenSigner, request: ClientTokenRequest): string {
  const iat = Math.floor(request.issuedAt.getTime() / 1000);
  return sign(signer, {
    SCCMTokenCategory: 'SCCMClientToken',
    Authority: 'SCCM',
    Type: 'ClientToken',
    TenantId: request.hierarchyId.toUpperCase(),
    DeviceId: request.smsid,
    cnf: { 'x5t#S256': crypto.createHash('sha256').update(request.signingCertificateDer).digest('base64url') },
    iss: issuerOf(request.hierarchyId),
    aud: AUDIENCE,
    iat,
    nbf: iat,
    exp: iat + CLIENT_TOKEN_DAYS * 86_400,
    jti: request.jti.toLowerCase(),
  });
}

export type TokenKind = 'bulk' | 'client';

export type TokenFailureCode =
  | 'TOKEN_MALFORMED'
  | 'TOKEN_BAD_ALGORITHM'
  | 'TOKEN_UNKNOWN_SIGNER'
  | 'TOKEN_BAD_SIGNATURE'
  | 'TOKEN_BAD_CLAIMS'
  | 'TOKEN_BAD_AUDIENCE'
  | 'TOKEN_BAD_ISSUER'
  | 'TOKEN_WRONG_KIND'
  | 'TOKEN_BAD_TENANT'
  | 'TOKEN_EXPIRED'
  | 'TOKEN_NOT_YET_VALID'
  | 'TOKEN_BLOCKED';

export interface TokenFailure {
  ok: false;
  code: TokenFailureCode;
  /** The .NET exception CCM_STS.log names. */
  exception: string;
  /** The reason, one line per part, in the style of CCM_STS.log. */
  reason: string[];
}

export type TokenCheck = { ok: true; claims: Record<string, unknown>; header: Record<string, unknown> } | TokenFailure;

export interface VerifyOptions {
  kind: TokenKind;
  verifier: TokenVerifier;
  hierarchyId: string;
  now: Date;
  /** For bulk tokens: is this GUID blocked? */
  isBlocked?: (guid: string) => boolean;
}

const CLIENT_TOKEN_CLAIMS = {
  SCCMTokenCategory: 'string',
  Authority: 'string',
  Type: 'string',
  TenantId: 'string',
  DeviceId: 'string',
  iss: 'string',
  aud: 'string',
  iat: 'number',
  nbf: 'number',
  exp: 'number',
  jti: 'string',
} as const;

const EXPECTED: Record<TokenKind, { category: string; type: string }> = {
  bulk: { category: 'SCCMPreAuthToken', type: 'BulkRegistration' },
  client: { category: 'SCCMClientToken', type: 'ClientToken' },
};

function failure(code: TokenFailureCode, exception: string, ...reason: string[]): TokenFailure {
  return { ok: false, code, exception: `System.IdentityModel.Tokens.${exception}`, reason };
}

/** `MM/dd/yyyy HH:mm:ss` in UTC, as the token service prints instants. */
export function stsTime(seconds: number): string {
  const d = new Date(seconds * 1000);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${p(d.getUTCMonth() + 1)}/${p(d.getUTCDate())}/${d.getUTCFullYear()} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}`;
}

export function verifySiteToken(token: string, options: VerifyOptions): TokenCheck {
  const decoded = decodeJwt(token, MAX_TOKEN_LENGTH);
  if (!decoded.ok) return failure('TOKEN_MALFORMED', 'SecurityTokenMalformedException', `IDX12741: The token is not a well-formed JWS: ${decoded.defect}.`);
  const { header, payload, signature, signingInput } = decoded.jwt;
  // The algorithm is pinned: a token cannot choose none, HS256 or anything else.
  if (header.alg !== 'RS256') {
    return failure('TOKEN_BAD_ALGORITHM', 'SecurityTokenInvalidAlgorithmException', `IDX10696: The algorithm '${String(header.alg)}' is not supported; site tokens are RS256.`);
  }
  if (header.x5t !== options.verifier.x5t) {
    return failure('TOKEN_UNKNOWN_SIGNER', 'SecurityTokenSignatureKeyNotFoundException', `IDX10501: Signature validation failed. Unable to match key: x5t: '${String(header.x5t)}'.`, `Current token signing certificate x5t: '${options.verifier.x5t}'.`);
  }
  const valid = crypto.verify('sha256', Buffer.from(signingInput, 'ascii'), options.verifier.publicKey, signature);
  if (!valid) {
    return failure('TOKEN_BAD_SIGNATURE', 'SecurityTokenInvalidSignatureException', `IDX10503: Signature validation failed. Keys tried: 'x5t: ${options.verifier.x5t}'.`);
  }
  const expected = EXPECTED[options.kind];
  const shape = claimShapeDefect(payload, options.kind === 'bulk' ? BULK_TOKEN_CLAIMS : CLIENT_TOKEN_CLAIMS);
  if (payload.SCCMTokenCategory !== expected.category || payload.Type !== expected.type) {
    return failure(
      'TOKEN_WRONG_KIND',
      'SecurityTokenValidationException',
      `Token category '${String(payload.SCCMTokenCategory)}' of type '${String(payload.Type)}' is not accepted here; expected '${expected.category}' of type '${expected.type}'.`,
    );
  }
  if (shape) return failure('TOKEN_BAD_CLAIMS', 'SecurityTokenValidationException', `The token's claims are not those of a site token: ${shape}.`);
  if (payload.aud !== AUDIENCE) {
    return failure('TOKEN_BAD_AUDIENCE', 'SecurityTokenInvalidAudienceException', `IDX10214: Audience validation failed. Audiences: '${String(payload.aud)}'. Did not match: validationParameters.ValidAudience: '${AUDIENCE}'.`);
  }
  const issuer = issuerOf(options.hierarchyId);
  if (payload.iss !== issuer) {
    return failure('TOKEN_BAD_ISSUER', 'SecurityTokenInvalidIssuerException', `IDX10205: Issuer validation failed. Issuer: '${String(payload.iss)}'. Did not match: validationParameters.ValidIssuer: '${issuer}'.`);
  }
  if (payload.TenantId !== options.hierarchyId.toUpperCase()) {
    return failure('TOKEN_BAD_TENANT', 'SecurityTokenValidationException', `Token TenantId '${String(payload.TenantId)}' is not this hierarchy ('${options.hierarchyId.toUpperCase()}').`);
  }
  const now = Math.floor(options.now.getTime() / 1000);
  const exp = payload.exp as number;
  const nbf = payload.nbf as number;
  if (now > exp + CLOCK_SKEW_SECONDS) {
    return failure('TOKEN_EXPIRED', 'SecurityTokenExpiredException', 'IDX10223: Lifetime validation failed. The token is expired.', `ValidTo: '${stsTime(exp)}'`, `Current time: '${stsTime(now)}'.`);
  }
  if (now < nbf - CLOCK_SKEW_SECONDS) {
    return failure('TOKEN_NOT_YET_VALID', 'SecurityTokenNotYetValidException', 'IDX10222: Lifetime validation failed. The token is not yet valid.', `ValidFrom: '${stsTime(nbf)}'`, `Current time: '${stsTime(now)}'.`);
  }
  if (options.kind === 'bulk' && options.isBlocked?.(String(payload.UniqueId).toLowerCase())) {
    return failure('TOKEN_BLOCKED', 'SecurityTokenValidationException', `Bulk registration token ${String(payload.UniqueId)} is blocked.`);
  }
  return { ok: true, claims: payload, header };
}
