import * as path from 'node:path';
import { tokenVerify } from '../../src/bench/bench-token';
import { generateRsaKeyPair, type KeyPairPem } from '../../src/pki/certificates';
import * as bulkTokens from '../../src/site/bulk-tokens';
import { openSite } from '../../src/site/site-dir';
import * as tokenService from '../../src/site/token-service';
import { removeDir, tempDir } from '../support/paths';

/**
 * token_verify checks a token of a real site, looking its record up in the site's SQLite
 * database on every check: counted here, each check one lookup that found the record, and a
 * block written to the database meanwhile is seen by the next check.
 */

let work: string;
let keys: KeyPairPem[];
beforeAll(async () => {
  work = tempDir();
  keys = await Promise.all(Array.from({ length: 4 }, () => generateRsaKeyPair()));
});
afterAll(() => removeDir(work));
afterEach(() => jest.restoreAllMocks());

test('every check of the figure looks the token up in the site database, and passes; the ratio is figure over limit', async () => {
  const lookups = jest.spyOn(bulkTokens, 'issuedBulkToken');
  const checks = jest.spyOn(tokenService, 'verifySiteToken');
  let limitCalls = 0;
  const part = await tokenVerify(path.join(work, 'counted'), keys, async (figure, limit) => {
    for (let i = 0; i < 7; i++) {
      figure();
      limit();
      limitCalls++;
    }
    return { figure: 1234, limit: 5000 };
  });
  expect(checks).toHaveBeenCalledTimes(7);
  expect(checks.mock.results.map((r) => (r.value as tokenService.TokenCheck).ok)).toEqual(Array(7).fill(true));
  expect(lookups).toHaveBeenCalledTimes(7);
  expect(lookups.mock.results.map((r) => (r.value as tokenService.IssuedBulkToken | undefined)?.blocked)).toEqual(
    Array(7).fill(false),
  );
  expect(limitCalls).toBe(7);
  expect(part).toEqual({
    figures: { token_verify: 1234 },
    limits: { token_verify: 5000 },
    ratios: { token_verify: 0.2468 },
  });
});

test('the lookup reads the database as it is: a token blocked there between two checks fails the next one, and the step', async () => {
  const lookups = jest.spyOn(bulkTokens, 'issuedBulkToken');
  const dir = path.join(work, 'blocked');
  const run = tokenVerify(dir, keys, async (figure) => {
    figure();
    const site = openSite(path.join(dir, 'token-site'));
    try {
      bulkTokens.setBulkTokenBlocked(site, lookups.mock.calls[0][1], true, new Date());
    } finally {
      site.close();
    }
    figure();
    return { figure: 1, limit: 1 };
  });
  await expect(run).rejects.toMatchObject({
    code: 'CCMLAB_E_INTERNAL',
    message: "internal error: the bench's site refused its own bulk token (TOKEN_BLOCKED); report it",
  });
  expect(lookups).toHaveBeenCalledTimes(2);
});
