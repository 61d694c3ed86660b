import * as crypto from 'node:crypto';
import type { PassedSignatures } from '../core/passed-signatures';
import { normaliseGuid } from '../core/guid';
import { countOf, printable } from '../core/text';
import {
  base64urlEncode,
  BULK_TOKEN_CLAIMS,
  certificateBinding,
  stsTime,
  claimShapeDefect,
  decodeJwt,
  MAX_TOKEN_LENGTH,
  type DecodedJwt,
} from '../protocol/jwt';
import { isCanonicalSmsid } from '../protocol/smsid';
import { MAX_BULK_LIFETIME_MINUTES } from './token-lifetimes';

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
    cnf: { 'x5t#S256': certificateBinding(request.signingCertificateDer) },
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
  | 'TOKEN_TOO_LARGE'
  | 'TOKEN_BAD_ALGORITHM'
  | 'TOKEN_UNKNOWN_SIGNER'
  | 'TOKEN_BAD_SIGNATURE'
  | 'TOKEN_BAD_CLAIMS'
  | 'TOKEN_BAD_AUDIENCE'
  | 'TOKEN_BAD_ISSUER'
  | 'TOKEN_WRONG_KIND'
  | 'TOKEN_BAD_TENANT'
  | 'TOKEN_BAD_LIFETIME'
  | 'TOKEN_EXPIRED'
  | 'TOKEN_NOT_YET_VALID'
  | 'TOKEN_NOT_ISSUED'
  | 'TOKEN_BLOCKED';

export interface TokenFailure {
  ok: false;
  code: TokenFailureCode;
  /** The .NET exception CCM_STS.log names. */
  exception: string;
  /** The reason, one line per part, in the style of CCM_STS.log. */
  reason: string[];
}

export type TokenCheck =
  { ok: true; kind: TokenKind; claims: Record<string, unknown>; header: Record<string, unknown> } | TokenFailure;

/** What the site recorded when it issued a bulk token (times in seconds). */
export interface IssuedBulkToken {
  nbf: number;
  exp: number;
  blocked: boolean;
}

export interface VerifyOptions {
  /** The kind due here; omitted, either kind is accepted and the result says which it was. */
  kind?: TokenKind;
  verifier: TokenVerifier;
  hierarchyId: string;
  now: Date;
  /** The site's record of a bulk token GUID (lower case), undefined if it never issued it. */
  lookupBulkToken: (guid: string) => IssuedBulkToken | undefined;
  /** Signatures that passed before (a running site's): the same token with the same key is not verified again; every claim still is. */
  passed?: PassedSignatures;
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

/** The longest lifetime each kind may claim, in seconds. */
const MAX_LIFETIME_SECONDS: Record<TokenKind, number> = {
  bulk: MAX_BULK_LIFETIME_MINUTES * 60,
  client: CLIENT_TOKEN_DAYS * 86_400,
};

function failure(code: TokenFailureCode, exception: string, ...reason: string[]): TokenFailure {
  return { ok: false, code, exception: `System.IdentityModel.Tokens.${exception}`, reason };
}

function kindOf(payload: Record<string, unknown>): TokenKind | undefined {
  return (Object.keys(EXPECTED) as TokenKind[]).find(
    (k) => payload.SCCMTokenCategory === EXPECTED[k].category && payload.Type === EXPECTED[k].type,
  );
}

/** Encoding, algorithm, signer and signature: what must hold before any claim is believed. */
function checkSignature(
  token: string,
  verifier: TokenVerifier,
  passed: PassedSignatures | undefined,
): { ok: true; jwt: DecodedJwt } | TokenFailure {
  if (token.length > MAX_TOKEN_LENGTH) {
    return failure(
      'TOKEN_TOO_LARGE',
      'SecurityTokenMalformedException',
      `IDX10209: Token has length: '${token.length}' which is larger than the MaxTokenSizeInBytes: '${MAX_TOKEN_LENGTH}'.`,
    );
  }
  const decoded = decodeJwt(token);
  if (!decoded.ok)
    return failure(
      'TOKEN_MALFORMED',
      'SecurityTokenMalformedException',
      `IDX12741: The token is not a well-formed JWS: ${printable(decoded.defect)}.`,
    );
  const { header, signature, signingInput } = decoded.jwt;
  // The algorithm is pinned: a token cannot choose none, HS256 or anything else.
  if (header.alg !== 'RS256') {
    return failure(
      'TOKEN_BAD_ALGORITHM',
      'SecurityTokenInvalidAlgorithmException',
      `IDX10696: The algorithm '${printable(header.alg)}' is not supported; site tokens are RS256.`,
    );
  }
  if (header.x5t !== verifier.x5t) {
    return failure(
      'TOKEN_UNKNOWN_SIGNER',
      'SecurityTokenSignatureKeyNotFoundException',
      `IDX10501: Signature validation failed. Unable to match key: x5t: '${printable(header.x5t)}'.`,
      `Current token signing certificate x5t: '${verifier.x5t}'.`,
    );
  }
  const verify = () => crypto.verify('sha256', Buffer.from(signingInput, 'ascii'), verifier.publicKey, signature);
  if (!(passed ? passed.verify([verifier.x5t, token], verify) : verify())) {
    return failure(
      'TOKEN_BAD_SIGNATURE',
      'SecurityTokenInvalidSignatureException',
      `IDX10503: Signature validation failed. Keys tried: 'x5t: ${verifier.x5t}'.`,
    );
  }
  return { ok: true, jwt: decoded.jwt };
}

/** Kind, claim types, identifiers and the lifetime the token claims for itself. */
function claimsDefect(payload: Record<string, unknown>, options: VerifyOptions): TokenFailure | TokenKind {
  const kind = kindOf(payload);
  const expected = EXPECTED[options.kind ?? kind ?? 'bulk'];
  if (!kind || (options.kind && kind !== options.kind)) {
    return failure(
      'TOKEN_WRONG_KIND',
      'SecurityTokenValidationException',
      `Token category '${printable(payload.SCCMTokenCategory)}' of type '${printable(payload.Type)}' is not accepted here; expected '${expected.category}' of type '${expected.type}'.`,
    );
  }
  const bad = (what: string) =>
    failure(
      'TOKEN_BAD_CLAIMS',
      'SecurityTokenValidationException',
      `The token's claims are not those of a site token: ${what}.`,
    );
  const shape = claimShapeDefect(payload, kind === 'bulk' ? BULK_TOKEN_CLAIMS : CLIENT_TOKEN_CLAIMS);
  if (shape) return bad(shape);
  for (const name of ['nbf', 'exp', ...(kind === 'client' ? ['iat'] : [])]) {
    if (!Number.isSafeInteger(payload[name])) return bad(`its '${name}' claim is not a whole number of seconds`);
  }
  if (kind === 'bulk' && normaliseGuid(payload.UniqueId as string) !== payload.UniqueId)
    return bad(`its UniqueId '${printable(payload.UniqueId)}' is not a lower-case GUID`);
  if (
    kind === 'client' &&
    (!isCanonicalSmsid(payload.DeviceId as string) || normaliseGuid(payload.jti as string) !== payload.jti)
  )
    return bad('its DeviceId or jti is not in the form the site issues');
  const lifetime = (payload.exp as number) - (payload.nbf as number);
  if (lifetime <= 0 || lifetime > MAX_LIFETIME_SECONDS[kind] || (kind === 'client' && payload.iat !== payload.nbf)) {
    return failure(
      'TOKEN_BAD_LIFETIME',
      'SecurityTokenInvalidLifetimeException',
      `IDX10224: Lifetime validation failed. The token claims ${countOf(lifetime, 'second')} from nbf to exp; a ${kind === 'bulk' ? 'bulk registration' : 'client'} token may last 1 to ${MAX_LIFETIME_SECONDS[kind]}.`,
    );
  }
  return kind;
}

function lifetimeFailure(payload: Record<string, unknown>, now: Date): TokenFailure | undefined {
  const seconds = Math.floor(now.getTime() / 1000);
  const exp = payload.exp as number;
  const nbf = payload.nbf as number;
  if (seconds > exp + CLOCK_SKEW_SECONDS) {
    return failure(
      'TOKEN_EXPIRED',
      'SecurityTokenExpiredException',
      'IDX10223: Lifetime validation failed. The token is expired.',
      `ValidTo: '${stsTime(exp)}'`,
      `Current time: '${stsTime(seconds)}'.`,
    );
  }
  if (seconds < nbf - CLOCK_SKEW_SECONDS) {
    return failure(
      'TOKEN_NOT_YET_VALID',
      'SecurityTokenNotYetValidException',
      'IDX10222: Lifetime validation failed. The token is not yet valid.',
      `ValidFrom: '${stsTime(nbf)}'`,
      `Current time: '${stsTime(seconds)}'.`,
    );
  }
  return undefined;
}

/** A bulk token must be one the site issued, with the validity it recorded, and not blocked. */
function issuedFailure(
  payload: Record<string, unknown>,
  lookup: VerifyOptions['lookupBulkToken'],
): TokenFailure | undefined {
  const guid = payload.UniqueId as string;
  const record = lookup(guid);
  if (!record || record.nbf !== payload.nbf || record.exp !== payload.exp) {
    return failure(
      'TOKEN_NOT_ISSUED',
      'SecurityTokenValidationException',
      record
        ? `Bulk registration token ${guid} claims a validity other than the one this site issued it with.`
        : `Bulk registration token ${guid} was never issued by this site.`,
    );
  }
  if (record.blocked)
    return failure('TOKEN_BLOCKED', 'SecurityTokenValidationException', `Bulk registration token ${guid} is blocked.`);
  return undefined;
}

export function verifySiteToken(token: string, options: VerifyOptions): TokenCheck {
  const signed = checkSignature(token, options.verifier, options.passed);
  if (!signed.ok) return signed;
  const { header, payload } = signed.jwt;
  const kind = claimsDefect(payload, options);
  if (typeof kind !== 'string') return kind;
  if (payload.aud !== AUDIENCE) {
    return failure(
      'TOKEN_BAD_AUDIENCE',
      'SecurityTokenInvalidAudienceException',
      `IDX10214: Audience validation failed. Audiences: '${printable(payload.aud)}'. Did not match: validationParameters.ValidAudience: '${AUDIENCE}'.`,
    );
  }
  const issuer = issuerOf(options.hierarchyId);
  if (payload.iss !== issuer) {
    return failure(
      'TOKEN_BAD_ISSUER',
      'SecurityTokenInvalidIssuerException',
      `IDX10205: Issuer validation failed. Issuer: '${printable(payload.iss)}'. Did not match: validationParameters.ValidIssuer: '${issuer}'.`,
    );
  }
  if (payload.TenantId !== options.hierarchyId.toUpperCase()) {
    return failure(
      'TOKEN_BAD_TENANT',
      'SecurityTokenValidationException',
      `Token TenantId '${printable(payload.TenantId)}' is not this hierarchy ('${options.hierarchyId.toUpperCase()}').`,
    );
  }
  const refused =
    lifetimeFailure(payload, options.now) ??
    (kind === 'bulk' ? issuedFailure(payload, options.lookupBulkToken) : undefined);
  return refused ?? { ok: true, kind, claims: payload, header };
}
