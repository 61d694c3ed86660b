import * as crypto from 'node:crypto';
import * as path from 'node:path';
import { systemClock } from '../core/clock';
import { CcmlabError } from '../core/errors';
import type { KeyPairPem } from '../pki/certificates';
import { createBulkToken, issuedBulkToken } from '../site/bulk-tokens';
import { initSite, openSite } from '../site/site-dir';
import { verifySiteToken } from '../site/token-service';
import { measured, type BenchPart } from './bench-report';

/**
 * token_verify: a bulk token checked as the CMG of a running site checks it, against a real
 * site: its token signing certificate, its hierarchy, and the token's record looked up in its
 * SQLite database (issuedBulkToken, the token service's own lookup) on every check. The
 * signature is verified every time: a running site remembers signatures that passed
 * (PassedSignatures), which would leave nothing to set against the limit, RSA-SHA256
 * verifications of the same token.
 */

/** Runs `alternate(figure, limit)` (bench.ts's alternating blocks) with a bulk token of a site made in `dir` with `siteKeys`. */
export async function tokenVerify(
  dir: string,
  siteKeys: readonly KeyPairPem[],
  alternate: (figure: () => unknown, limit: () => unknown) => Promise<{ figure: number; limit: number }>,
): Promise<BenchPart> {
  const siteDir = path.join(dir, 'token-site');
  await initSite({
    dir: siteDir,
    siteCode: 'ABC',
    mpName: 'mp01.contoso.com',
    cmgName: 'CONTOSO.CLOUDAPP.NET',
    roleId: '72186325152220500',
    passive: false,
    force: false,
    clock: systemClock,
    keys: siteKeys,
  });
  const site = openSite(siteDir);
  try {
    const { token } = createBulkToken(site, 60, systemClock.now());
    const verifier = site.tokenVerifier();
    const dot = token.lastIndexOf('.');
    const [input, signature] = [Buffer.from(token.slice(0, dot)), Buffer.from(token.slice(dot + 1), 'base64url')];
    const options = { kind: 'bulk' as const, verifier, hierarchyId: site.config.hierarchyId };
    const rates = await alternate(
      () => {
        const check = verifySiteToken(token, {
          ...options,
          now: systemClock.now(),
          lookupBulkToken: (guid) => issuedBulkToken(site, guid),
        });
        // What is measured is a token accepted: a refusal would stop early and cost less.
        if (!check.ok)
          throw new CcmlabError(
            'CCMLAB_E_INTERNAL',
            `internal error: the bench's site refused its own bulk token (${check.code}); report it`,
          );
      },
      () => crypto.verify('sha256', input, verifier.publicKey, signature),
    );
    return measured('token_verify', rates.figure, rates.limit);
  } finally {
    site.close();
  }
}
