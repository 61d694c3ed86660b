import { spawn } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { listFiles, removeDir, ROOT, tempDir } from '../support/paths';
import { runCommand } from '../support/run-command';
import { waitForChange } from '../support/wait-for';

/**
 * `ccmlab fleet` against a real `ccmlab site start --detach` in a temp lab: keys, enroll
 * (with a key cache, fresh keys, another site's bulk token), a kill -9 and a rerun, status,
 * start after the lab clock moved. Each test has its own fleet dir and names; counts are small.
 */

const CMG = 'CONTOSO.CLOUDAPP.NET';
const ROLE = '72186325152220500';

let work: string;

const ccmlab = (args: string[], cwd = work) => runCommand('ccmlab', args, { cwd, timeoutMs: 180_000 });

interface SiteClient {
  smsid: string;
  netbios: string;
  state: string;
  signingThumbprint: string;
  encryptionThumbprint: string;
}

async function siteClients(prefix: string): Promise<SiteClient[]> {
  const r = await ccmlab(['site', 'clients', 'list', '--json']);
  expect(r.code).toBe(0);
  return (JSON.parse(r.stdout) as SiteClient[]).filter((c) => c.netbios.startsWith(prefix));
}

function journal(fleetDir: string): Array<{ type: string; n: number; smsid?: string }> {
  const file = path.join(fleetDir, 'journal.jsonl');
  if (!fs.existsSync(file)) return [];
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.endsWith('}'))
    .map((line) => JSON.parse(line) as { type: string; n: number });
}

const publicKeyOf = (pem: string) =>
  new crypto.X509Certificate(pem).publicKey.export({ type: 'spki', format: 'der' }).toString('hex');

beforeAll(async () => {
  work = tempDir();
  expect((await ccmlab(['site', 'init', '--site-code', 'ABC', '--cmg-name', CMG, '--role-id', ROLE])).code).toBe(0);
  expect((await ccmlab(['site', 'start', '--detach'])).code).toBe(0);
});

afterAll(async () => {
  await ccmlab(['clock', 'set', 'reset']);
  await ccmlab(['site', 'stop']);
  removeDir(work);
});

describe('ccmlab fleet keys, then fleet enroll --key-cache, into the lab running site', () => {
  test('6 clients, 3 at once: 6 distinct SMSIDs and signing certificates at the site, each its own keys, files 0600; the cache then runs out', async () => {
    const keys = await ccmlab(['fleet', 'keys', '--count', '6', '--key-cache', 'cache1', '--json']);
    expect(keys.code).toBe(0);
    expect(JSON.parse(keys.stdout)).toMatchObject({ made: 6, keysPerClient: 2, ready: 6 });
    expect(fs.statSync(path.join(work, 'cache1')).mode & 0o777).toBe(0o700);
    for (const slot of listFiles(path.join(work, 'cache1', 'ready')))
      expect(fs.statSync(path.join(work, 'cache1', 'ready', slot)).mode & 0o777).toBe(0o600);

    const fleetDir = path.join(work, 'fleet1');
    const r = await ccmlab([
      'fleet',
      'enroll',
      '--count',
      '6',
      '--concurrency',
      '3',
      '--key-cache',
      'cache1',
      '--fleet-dir',
      fleetDir,
      '--name-pattern',
      'KC-{n:03}',
      '--logs',
      'failures',
      '--json',
    ]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const summary = JSON.parse(r.stdout);
    expect(summary).toMatchObject({
      mode: 'lab',
      keys: 'cache',
      count: 6,
      attempted: 6,
      enrolled: 6,
      failed: 0,
      alreadyEnrolled: 0,
      interrupted: false,
      clientLogs: path.join(fleetDir, 'logs', 'clients'),
    });
    for (const phase of ['keys', 'metadata', 'registration', 'token', 'location', 'client'])
      expect(summary.latencyMs[phase].p50).toBeGreaterThan(0);
    expect(summary.peakRssMb).toBeGreaterThan(0);

    const clients = await siteClients('KC-');
    expect(clients.map((c) => c.netbios).sort()).toEqual(['KC-001', 'KC-002', 'KC-003', 'KC-004', 'KC-005', 'KC-006']);
    expect(new Set(clients.map((c) => c.smsid)).size).toBe(6);
    expect(new Set(clients.map((c) => c.signingThumbprint)).size).toBe(6);
    expect(clients.every((c) => c.state === 'registered')).toBe(true);
    const publicKeys = new Set<string>();
    const fleetFiles = listFiles(fleetDir);
    for (const name of clients.map((c) => c.netbios)) {
      const dir = path.join(fleetDir, 'clients', name);
      for (const file of [
        'token.jwt',
        'client.json',
        'fleet-identity.json',
        'certs/signing.key',
        'certs/encryption.key',
      ])
        expect(fs.statSync(path.join(dir, file)).mode & 0o777).toBe(0o600);
      for (const cert of ['signing', 'encryption'])
        publicKeys.add(publicKeyOf(fs.readFileSync(path.join(dir, 'certs', `${cert}.pem`), 'utf8')));
      // Each key is written once, into the client's own state: fleet-identity.json names it, holds no copy
      // (a line of its base64 is found however a file quotes it).
      for (const key of ['signing', 'encryption']) {
        const line = fs.readFileSync(path.join(dir, 'certs', `${key}.key`), 'utf8').split('\n')[1];
        expect(fleetFiles.filter((file) => fs.readFileSync(path.join(fleetDir, file), 'utf8').includes(line))).toEqual([
          path.join('clients', name, 'certs', `${key}.key`),
        ]);
      }
      expect(JSON.parse(fs.readFileSync(path.join(dir, 'fleet-identity.json'), 'utf8'))).toEqual({
        schemaVersion: 2,
        smsid: clients.find((c) => c.netbios === name)?.smsid,
        signing: { certificate: 'certs/signing.pem', key: 'certs/signing.key' },
        encryption: { certificate: 'certs/encryption.pem', key: 'certs/encryption.key' },
      });
    }
    // Two keys a client, no key shared by two clients.
    expect(publicKeys.size).toBe(12);
    // --logs failures: nothing failed, so no client logs are kept.
    expect(listFiles(path.join(fleetDir, 'logs'))).toEqual([]);
    expect(journal(fleetDir).filter((e) => e.type === 'enrolled')).toHaveLength(6);
    expect(listFiles(path.join(work, 'cache1'))).toEqual(['key-cache.json']);

    const more = await ccmlab(['fleet', 'enroll', '--count', '8', '--key-cache', 'cache1', '--fleet-dir', fleetDir]);
    expect(more.code).toBe(1);
    expect(more.stderr).toBe(
      `ccmlab: error CCMLAB_E_KEY_CACHE_EMPTY: the key cache ${path.join(work, 'cache1')} holds keys for 0 clients and this run needs them for 2; make the 2 more with 'ccmlab fleet keys --count 2 --key-cache cache1'\n`,
    );
    // Refused, a new fleet leaves nothing behind: no fleet dir, so nothing binds its name pattern.
    const fresh = await ccmlab([
      'fleet',
      'enroll',
      '--count',
      '2',
      '--key-cache',
      'cache1',
      '--fleet-dir',
      path.join(work, 'new', 'fleet'),
    ]);
    expect(fresh.stderr).toMatch(/CCMLAB_E_KEY_CACHE_EMPTY/);
    expect(fs.existsSync(path.join(work, 'new'))).toBe(false);

    const status = await ccmlab(['fleet', 'status', '--fleet-dir', fleetDir, '--json']);
    expect(status.code).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject({
      clients: 6,
      registration: { registered: 6, pending: 0, unassigned: 0 },
      tokens: { valid: 6, 'renewal-due': 0, expired: 0 },
      notEnrolled: 0,
      damaged: 0,
    });
  });

  test('two runs sharing one cache (--one-key) at once never hand a key to two clients; --logs none writes no log', async () => {
    expect((await ccmlab(['fleet', 'keys', '--count', '4', '--key-cache', 'cache2', '--one-key'])).code).toBe(0);
    const [a, b] = await Promise.all(
      ['SA', 'SB'].map((prefix) =>
        ccmlab([
          'fleet',
          'enroll',
          '--count',
          '2',
          '--key-cache',
          'cache2',
          '--fleet-dir',
          `fleet-${prefix}`,
          '--name-pattern',
          `${prefix}{n}`,
          '--logs',
          'none',
        ]),
      ),
    );
    expect([a.code, b.code, a.stderr, b.stderr]).toEqual([0, 0, '', '']);
    const clients = [...(await siteClients('SA')), ...(await siteClients('SB'))];
    expect(clients).toHaveLength(4);
    expect(new Set(clients.map((c) => c.signingThumbprint)).size).toBe(4);
    // One key for both certificates.
    const dir = path.join(work, 'fleet-SA', 'clients', 'SA1', 'certs');
    expect(publicKeyOf(fs.readFileSync(path.join(dir, 'signing.pem'), 'utf8'))).toBe(
      publicKeyOf(fs.readFileSync(path.join(dir, 'encryption.pem'), 'utf8')),
    );
    expect(fs.existsSync(path.join(work, 'fleet-SA', 'logs'))).toBe(false);
  });
});

describe('resume', () => {
  test('killed with SIGKILL once some clients are enrolled, a rerun ends with every client registered exactly once, each under one identity', async () => {
    const fleetDir = path.join(work, 'fleet-resume');
    fs.mkdirSync(fleetDir);
    const args = [
      'fleet',
      'enroll',
      '--count',
      '8',
      '--concurrency',
      '2',
      '--fleet-dir',
      fleetDir,
      '--name-pattern',
      'RS{n:02}',
    ];
    const child = spawn(process.execPath, [path.join(ROOT, 'bin', 'ccmlab.js'), ...args], {
      cwd: work,
      stdio: 'ignore',
    });
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    const enrolled = () => journal(fleetDir).filter((e) => e.type === 'enrolled').length;
    await waitForChange(fleetDir, () => enrolled() >= 2 || child.exitCode !== null);
    child.kill('SIGKILL');
    await exited;
    const before = enrolled();
    expect(before).toBeLessThan(8);

    const r = await ccmlab([...args, '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ alreadyEnrolled: before, enrolled: 8 - before, failed: 0 });

    const clients = await siteClients('RS');
    expect(clients.map((c) => c.netbios).sort()).toEqual(Array.from({ length: 8 }, (_, i) => `RS0${i + 1}`));
    expect(new Set(clients.map((c) => c.smsid)).size).toBe(8);
    expect(new Set(clients.map((c) => c.signingThumbprint)).size).toBe(8);
    for (const client of clients) {
      const config = JSON.parse(
        fs.readFileSync(path.join(fleetDir, 'clients', client.netbios, 'client.json'), 'utf8'),
      ) as { smsid: string };
      expect(config.smsid).toBe(client.smsid);
    }
    const records = journal(fleetDir).filter((e) => e.type === 'enrolled');
    expect(new Set(records.map((e) => e.n)).size).toBe(8);
    expect(records).toHaveLength(8);
  });
});

describe('fleet enroll against any running site: --regtoken-file, --cmg, --site-code, --connect-to, --ca-file', () => {
  test('enrolls there; the bulk token is written nowhere in the fleet dir', async () => {
    const other = tempDir();
    try {
      const tool = await runCommand('BulkRegistrationTokenTool', ['/new', '--json'], { cwd: work });
      const { token } = JSON.parse(tool.stdout) as { token: string };
      fs.writeFileSync(path.join(other, 'token.txt'), `${token}\n`);
      const ready = JSON.parse(fs.readFileSync(path.join(work, 'lab', 'site', 'ready.json'), 'utf8')) as {
        cmg: string;
      };
      const root = (JSON.parse((await ccmlab(['site', 'show', '--json'])).stdout) as { rootCaFile: string }).rootCaFile;
      const r = await ccmlab(
        [
          'fleet',
          'enroll',
          '--count',
          '2',
          '--regtoken-file',
          'token.txt',
          '--cmg',
          `${CMG}/CCM_Proxy_MutualAuth/${ROLE}`,
          '--site-code',
          'ABC',
          '--connect-to',
          `${CMG}:443:127.0.0.1:${new URL(ready.cmg).port}`,
          '--ca-file',
          root,
          '--name-pattern',
          'EXT{n}',
          '--json',
        ],
        other,
      );
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(JSON.parse(r.stdout)).toMatchObject({ mode: 'site', enrolled: 2, siteLogs: null });
      expect((await siteClients('EXT')).map((c) => c.netbios).sort()).toEqual(['EXT1', 'EXT2']);
      const fleetDir = path.join(other, 'lab', 'fleet');
      for (const file of listFiles(fleetDir))
        expect({ file, holdsToken: fs.readFileSync(path.join(fleetDir, file), 'utf8').includes(token) }).toEqual({
          file,
          holdsToken: false,
        });
    } finally {
      removeDir(other);
    }
  });
});

describe('fleet start and status after the lab clock moved', () => {
  test('on day 31 every token is due; fleet start renews them all, then status counts them valid', async () => {
    const fleetDir = path.join(work, 'fleet-renew');
    expect(
      (await ccmlab(['fleet', 'enroll', '--count', '2', '--fleet-dir', fleetDir, '--name-pattern', 'RN{n}'])).code,
    ).toBe(0);
    try {
      expect((await ccmlab(['clock', 'set', '+31d'])).code).toBe(0);
      const due = JSON.parse((await ccmlab(['fleet', 'status', '--fleet-dir', fleetDir, '--json'])).stdout);
      expect(due.tokens).toEqual({ valid: 0, 'renewal-due': 2, expired: 0 });
      const r = await ccmlab(['fleet', 'start', '--fleet-dir', fleetDir, '--json']);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(JSON.parse(r.stdout)).toMatchObject({
        started: 2,
        outcomes: { renewed: 2, 'not-due': 0 },
        failed: 0,
        notEnrolled: 0,
      });
      const after = JSON.parse((await ccmlab(['fleet', 'status', '--fleet-dir', fleetDir, '--json'])).stdout);
      expect(after.tokens).toEqual({ valid: 2, 'renewal-due': 0, expired: 0 });
    } finally {
      await ccmlab(['clock', 'set', 'reset']);
    }
  });
});
