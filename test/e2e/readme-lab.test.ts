import * as fs from 'node:fs';
import * as path from 'node:path';
import { removeDir, ROOT, tempDir } from '../support/paths';
import { runCommand } from '../support/run-command';

/**
 * The README's lab lines, run as written (each `npx X args` is the built bin X with those
 * args; `TOKEN=$(… | sed -n 5p)` is the 5th line of that output). The lines are read from the
 * README, so this test fails when they change without it.
 */

const EXPECTED = [
  'npx ccmlab site init --site-code ABC --cmg-name CONTOSO.CLOUDAPP.NET --role-id 72186325152220500',
  'npx ccmlab site start --detach',
  'TOKEN=$(npx BulkRegistrationTokenTool /new | sed -n 5p)',
  'npx ccmsetup /mp:https://CONTOSO.CLOUDAPP.NET/CCM_Proxy_MutualAuth/72186325152220500 CCMHOSTNAME=CONTOSO.CLOUDAPP.NET/CCM_Proxy_MutualAuth/72186325152220500 SMSSiteCode=ABC /regtoken:$TOKEN',
  'npx ccmlab log show logs/clients',
  'npx ccmlab clock set +31d',
  'npx ccmlab client start',
  'npx ccmlab site stop',
  'npx ccmlab clock set reset',
];

function readmeLines(): string[] {
  const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const block = /<!-- readme-lab:start -->\s*```sh\n([\s\S]*?)```\s*<!-- readme-lab:end -->/.exec(readme);
  if (!block) throw new Error('README.md has no readme-lab block');
  return block[1].trim().split('\n');
}

let work: string;
beforeAll(() => {
  work = tempDir();
});
afterAll(async () => {
  await runCommand('ccmlab', ['site', 'stop'], { cwd: work });
  removeDir(work);
});

test("the README's lab lines run as written: the documented ClientLocation.log line, then a renewal at lab day 31", async () => {
  const lines = readmeLines();
  expect(lines).toEqual(EXPECTED);
  let token = '';
  for (const line of lines) {
    const substitution = /^TOKEN=\$\(npx (\S+) (.*) \| sed -n 5p\)$/.exec(line);
    const [bin, ...args] = (substitution ? `${substitution[1]} ${substitution[2]}` : line.replace(/^npx /, '')).split(
      ' ',
    );
    const r = await runCommand(
      bin as 'ccmlab',
      args.map((a) => a.replace('$TOKEN', token)),
      { cwd: work, timeoutMs: 60_000 },
    );
    expect({ line, code: r.code, stderr: r.code === 0 ? '' : r.stderr }).toEqual({ line, code: 0, stderr: '' });
    if (substitution) token = r.stdout.split('\n')[4];
    if (line.startsWith('npx ccmlab log show')) {
      expect(r.stdout).toContain(
        'Rotating internet management point, new management point [1] is: https://CONTOSO.CLOUDAPP.NET/CCM_Proxy_MutualAuth/72186325152220500 (0) with capabilities: <Capabilities SchemaVersion ="1.0"><Property Name="SSL" Version="1" /></Capabilities>',
      );
    }
    if (line === 'npx ccmlab client start') expect(r.stdout).toMatch(/renewed/i);
  }
  const [client] = fs.readdirSync(path.join(work, 'lab', 'clients'));
  const config = JSON.parse(fs.readFileSync(path.join(work, 'lab', 'clients', client, 'client.json'), 'utf8')) as {
    connectTo: string[];
    token: { issuedAt: string };
  };
  expect(config.connectTo).toEqual([]);
  expect(Date.parse(config.token.issuedAt) - Date.now()).toBeGreaterThan(30 * 86_400_000);
});
