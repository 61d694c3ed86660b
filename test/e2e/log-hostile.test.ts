import * as fs from 'node:fs';
import * as path from 'node:path';
import { removeDir, tempDir } from '../support/paths';
import { runCli } from '../support/run-cli';

/**
 * Log bundles built to hang a reader: `log show` and `log diagnose` each end on their own with
 * exit 0, 1 or 2 on every one. Each case is a size at which a quadratic step takes minutes
 * (100,000 spaces before a trailer once took 14 s to show and 27 s to diagnose) and a linear
 * reader a second or two; the process is killed only past a bound far above that, which
 * proves it ends, not how fast.
 */

const KILL_AFTER_MS = 45_000;
const record = (message: string): string =>
  `<![LOG[${message}]LOG]!><time="10:00:00.000+000" date="01-15-2026" component="ccmsetup" context="" type="1" thread="1" file="">`;
const trailer = '$$<SMS_MP><01-15-2026 10:00:01.000+000><thread=9 (0x9)>';
const spaces = (n: number): string => ' '.repeat(n);

/** File name → contents (or a folder of files, for `many-files`). */
const CASES: Record<string, string | Buffer | Record<string, string>> = {
  'spaces-before-trailer.log': `x${spaces(400_000)}${trailer}\r\nx${spaces(400_000)}$$<SMS_MP\r\n`,
  'word-then-spaces.log': `Issued${spaces(400_000)}token\nTLS with x${spaces(400_000)}(CERT_REVOKED\n`,
  'starts-without-end.log': '<![LOG[x\r\n'.repeat(300_000),
  'far-end-attribute-run.log': `${'<![LOG[x\r\n'.repeat(100_000)}]LOG]!><${'a="b" '.repeat(300_000)}`,
  'utf16-spaces.log': Buffer.concat([
    Buffer.from([0xff, 0xfe]),
    Buffer.from(`x${spaces(400_000)}$$<SMS_MP\r\n`, 'utf16le'),
  ]),
  'one-huge-line.log': 'a'.repeat(4_000_000),
  'huge-record.log': record(`TLS with ${'x '.repeat(1_000_000)}`),
  'many-short-records.log': `${record('r')}\r\n`.repeat(50_000),
  'repeated-prefix.log': `${'Forwarding proxy message '.repeat(40_000)}SMS_MP/.sms_aut?SITESIGNCERT\n`,
  'many-files': Object.fromEntries(
    Array.from({ length: 1000 }, (_, i) => [`log${i}.log`, `${record(`entry ${i}`)}\r\n`]),
  ),
};

let dir: string;

beforeAll(() => {
  dir = tempDir();
  for (const [name, contents] of Object.entries(CASES)) {
    const target = path.join(dir, name);
    if (typeof contents === 'string' || Buffer.isBuffer(contents)) {
      fs.writeFileSync(target, contents);
    } else {
      fs.mkdirSync(target);
      for (const [file, text] of Object.entries(contents)) fs.writeFileSync(path.join(target, file), text);
    }
  }
});
afterAll(() => removeDir(dir));

describe.each(Object.keys(CASES))('%s', (name) => {
  test.each([['show'], ['diagnose']])(
    'log %s ends on its own with exit 0, 1 or 2',
    async (command) => {
      const r = await runCli('ccmlab', ['log', command, path.join(dir, name), '--json'], { timeoutMs: KILL_AFTER_MS });
      // A null code is a kill: the process did not end on its own.
      expect([[0, 1, 2].includes(r.code ?? -1), r.code, r.stderr.slice(0, 300)]).toEqual([
        true,
        r.code,
        r.stderr.slice(0, 300),
      ]);
      expect(r.stderr).not.toMatch(/CCMLAB_E_INTERNAL|heap|RangeError/);
    },
    KILL_AFTER_MS + 15_000,
  );
});
