import type { CmLog } from '../log/logger';
import type { MpSession } from './mp-session';

/**
 * Registration and the unique token, the part ccmsetup and the agent share: check the
 * CMG, register (confirming while pending), get the token from CCM_STS, then location.
 */

export type Bearer = { kind: 'none' } | { kind: 'bulk'; token: string } | { kind: 'client'; token: string };

/** The steps of an install a caller may time: key generation, ServiceMetadata, registration (pending included), token, location. */
export type EnrollPhase = 'keys' | 'metadata' | 'registration' | 'token' | 'location';

/** Told how long each step that succeeded took, in milliseconds (a step may be told more than once: add them). */
export type PhaseTimer = (phase: EnrollPhase, ms: number) => void;

/** Runs `step` and tells `onPhase` how long it took, if it succeeded. */
export async function timed<T>(
  phase: EnrollPhase,
  onPhase: PhaseTimer | undefined,
  step: () => Promise<T>,
): Promise<T> {
  if (!onPhase) return step();
  const start = performance.now();
  const value = await step();
  onPhase(phase, performance.now() - start);
  return value;
}

export interface EnrollInput {
  session: MpSession;
  bearer: Bearer;
  /** Where ServiceMetadata failures are logged (ccmsetup.log during setup). */
  gatewayLog: CmLog;
  internet: boolean;
  /** The MP key information the client keeps; null fetches it afresh (RESETKEYINFORMATION=TRUE). */
  keyInformation: string | null;
  /** SMSSITECODE as given (not AUTO): the client is assigned to it only if its MP serves that site. */
  siteCode?: string | null;
  onPhase?: PhaseTimer;
}

export type EnrollResult =
  /** Site assignment failed: the MP serves another site (mpSiteCode), so the client did not register. */
  | { registered: false; assigned: false; smsid: string; mpSiteCode: string }
  | { registered: false; assigned?: true; smsid: string }
  /** siteCode: what MPKEYINFORMATION said, or null when the kept key information was reused (the caller keeps its own). */
  | { registered: true; smsid: string; token: string; keyInformation: string; siteCode: string | null };

export async function enroll(input: EnrollInput): Promise<EnrollResult> {
  const { session, bearer, onPhase } = input;
  const bearerToken = bearer.kind === 'none' ? undefined : bearer.token;
  const proof = bearer.kind === 'client';
  const cmgSite =
    input.internet && bearerToken
      ? await timed('metadata', onPhase, () => session.serviceMetadata(bearerToken, input.gatewayLog, proof))
      : undefined;
  // Assignment comes before registration: on the intranet the MP says its site in MPKEYINFORMATION.
  const early =
    input.siteCode && !input.internet
      ? await timed('location', onPhase, () => session.mpKeyInformation(undefined))
      : undefined;
  const mpSiteCode = cmgSite ?? early?.siteCode;
  if (input.siteCode && mpSiteCode !== undefined && mpSiteCode.toUpperCase() !== input.siteCode.toUpperCase()) {
    return { registered: false, assigned: false, smsid: session.smsid, mpSiteCode };
  }
  const registration = await timed('registration', onPhase, () => session.register(bearerToken, proof));
  if (!registration.registered) return { registered: false, smsid: registration.smsid };
  const token = await timed('token', onPhase, () => session.ccmToken(bearerToken, 'registration'));
  // Through the CMG everything after the token travels with it.
  const locationToken = input.internet ? token : undefined;
  const keys = await timed('location', onPhase, async () => {
    const info = input.keyInformation === null ? (early ?? (await session.mpKeyInformation(locationToken))) : undefined;
    await session.mpList(locationToken);
    return info;
  });
  return {
    registered: true,
    smsid: registration.smsid,
    token,
    keyInformation: keys?.publicKey ?? (input.keyInformation as string),
    siteCode: keys ? keys.siteCode : null,
  };
}
