import * as crypto from 'node:crypto';

/**
 * Signature checks that passed, remembered by all they depended on: the key, the signed
 * bytes and the signature. The same three checked again can only pass again (verification
 * is deterministic), and a client sends the same token, and within a second the same proof,
 * with each of its requests. What depends on the time or on the site's records (expiry,
 * blocking, revocation, registration) is still checked on every request by the callers, and
 * a check that fails is not kept. Bounded: the oldest are forgotten first; each is kept as a
 * digest, so a long token costs no more than a short one.
 */
export class PassedSignatures {
  private readonly passed = new Set<string>();

  constructor(private readonly max = 8192) {}

  /** `check()` unless the same key, bytes and signature (`parts`, in that order) passed before. */
  verify(parts: readonly string[], check: () => boolean): boolean {
    const hash = crypto.createHash('sha256');
    // Each part with its length first, so that no two different lists read as one.
    for (const part of parts) hash.update(`${part.length}:${part}`);
    const id = hash.digest('base64');
    if (this.passed.has(id)) return true;
    if (!check()) return false;
    if (this.passed.size >= this.max) this.passed.delete(this.passed.values().next().value as string);
    this.passed.add(id);
    return true;
  }
}
