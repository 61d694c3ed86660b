import * as fs from 'node:fs';
import * as path from 'node:path';
import { listFiles, readFixture, removeDir, tempDir } from '../support/paths';
import { runCommand } from '../support/run-command';

/** A bulk token is never written on the client, whatever switch or property it was typed after. */

const token = readFixture('tokens', 'bulk-shape-only.jwt').trim();
const signature = token.split('.')[2];
const CMG = 'CONTOSO.CLOUDAPP.NET/CCM_Proxy_MutualAuth/72186325152220500';
const base = [`/mp:https://${CMG}`, `CCMHOSTNAME=${CMG}`, 'SMSSiteCode=ABC'];

let work: string;
beforeEach(() => {
  work = tempDir();
});
afterEach(() => removeDir(work));

function everythingWritten(dir: string): string {
  return listFiles(dir)
    .map((f) => fs.readFileSync(path.join(dir, f), 'utf8'))
    .join('\n');
}

describe('ccmsetup never writes a bulk token', () => {
  test.each([
    ['a typo: /regtokn:<jwt>', [`/regtokn:${token}`]],
    ['a space: /regtoken <jwt>', ['/regtoken', token]],
    ['an equals sign: /regtoken=<jwt>', [`/regtoken=${token}`]],
    ['a property: REGTOKEN=<jwt>', [`REGTOKEN=${token}`, '--dry-run']],
    ['a token in another switch: /source:<jwt>', [`/source:${token}`, '--dry-run']],
    ['a duplicated property', [`FOO=${token}`, `FOO=${token}x`, '--dry-run']],
    ['a token wrapped in quotes and CRLF', [`/regtoken:"${token}"\r\n`]],
  ])('%s', async (_name, args) => {
    const logDir = path.join(work, 'logs');
    for (const json of [false, true]) {
      const r = await runCommand(
        'ccmsetup',
        [...base, ...args, '--log-dir', logDir, '--client-dir', path.join(work, 'client'), ...(json ? ['--json'] : [])],
        { cwd: work },
      );
      expect([0, 6]).toContain(r.code);
      expect(r.stdout).not.toContain(signature);
      expect(r.stderr).not.toContain(signature);
      expect(r.stderr.trimEnd().split('\n').length).toBeLessThanOrEqual(1);
    }
    expect(everythingWritten(work)).not.toContain(signature);
    expect(fs.readFileSync(path.join(logDir, 'ccmsetup.log'), 'utf8')).toContain('<redacted>');
  });
});
