import { TARGETS } from '../../src/bench/bench-report';
import { SMOKE_COUNTS } from '../../src/bench/bench';
import { startupTimes } from '../../src/bench/bench-startup';
import { generateRsaKeyPair } from '../../src/pki/certificates';
import { removeDir, tempDir } from '../support/paths';

/**
 * The bench's startup step, as `--smoke` runs it (one cold start of each command and of Node
 * before it; bin/ runs dist/, so `npm run build` first): five figures, each against its own
 * `node -e 0`, every command run to a clean exit (client status reads the enrolled client the
 * step writes). No timing is asserted: only that each ratio is its figure over its limit.
 */

const STARTUP = [
  'startup_version',
  'startup_clock_show',
  'startup_client_status',
  'startup_ccmsetup_dry_run',
  'startup_token_tool',
];

let dir: string;
beforeAll(() => (dir = tempDir()));
afterAll(() => removeDir(dir));

test('five startup ratios, each its figure (ms) over its limit (node -e 0, ms), each with a target', async () => {
  const part = await startupTimes(dir, SMOKE_COUNTS.starts, [await generateRsaKeyPair(), await generateRsaKeyPair()]);
  expect(Object.keys(part.ratios ?? {})).toEqual(STARTUP);
  expect(Object.keys(part.figures ?? {})).toEqual(STARTUP);
  expect(Object.keys(part.limits ?? {})).toEqual(STARTUP);
  for (const name of STARTUP) {
    const [figure, limit, ratio] = [part.figures?.[name], part.limits?.[name], part.ratios?.[name]] as number[];
    for (const value of [figure, limit, ratio]) expect(Number.isFinite(value) && value > 0).toBe(true);
    // Figure, limit and ratio are each rounded to four digits: the ratio is within their rounding of figure / limit.
    expect([name, Math.abs(ratio / (figure / limit) - 1) < 2e-3]).toEqual([name, true]);
    expect(TARGETS[name]).toMatchObject({ at: 'most' });
  }
}, 60_000);
