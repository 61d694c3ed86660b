import * as fs from 'node:fs';
import * as path from 'node:path';
import { request } from '../support/https-client';
import { removeDir, tempDir } from '../support/paths';
import { runCommand } from '../support/run-command';
import { startSiteProcess, type SiteProcess } from '../support/site-process';
import { ARTICLE_SITE_OPTIONS } from '../support/test-site';

/** One lab, one world: a clock every process follows, names, trusted roots, stable addresses. */

let work: string;
let lab: string;
const ccmlab = (...args: string[]) => runCommand('ccmlab', [...args, '--lab', lab], { cwd: work });
const tool = (...args: string[]) => runCommand('BulkRegistrationTokenTool', [...args, '--lab', lab], { cwd: work });

beforeAll(async () => {
  work = tempDir();
  lab = path.join(work, 'lab');
  const init = await ccmlab('site', 'init', ...ARTICLE_SITE_OPTIONS);
  expect(init.code).toBe(0);
});
afterAll(() => removeDir(work));

function readJson<T>(...parts: string[]): T {
  return JSON.parse(fs.readFileSync(path.join(...parts), 'utf8')) as T;
}

describe('the lab', () => {
  test('clock show names its source: a lab whose clock was never set runs on real time, and says so', async () => {
    const fresh = path.join(work, 'fresh-lab');
    const before = await runCommand('ccmlab', ['clock', 'show', '--lab', fresh], { cwd: work });
    expect(before.stdout).toMatch(/offset 0 \(real time\); from the lab clock \(not set: no .*clock\.json yet/);
    expect((await runCommand('ccmlab', ['clock', 'set', '+1h', '--lab', fresh], { cwd: work })).code).toBe(0);
    const after = await runCommand('ccmlab', ['clock', 'show', '--json', '--lab', fresh], { cwd: work });
    expect(JSON.parse(after.stdout).source).toBe(`the lab clock (${path.join(fresh, 'clock.json')})`);
  });

  test('site init records ports, keeps the lab logs in <lab>/logs, and the lab trusts the site root', async () => {
    const site = readJson<{ ports: { mp: number; mpHttps: number; cmg: number } }>(lab, 'site', 'site.json');
    expect(Object.values(site.ports).every((p) => Number.isInteger(p) && p > 0)).toBe(true);
    const roots = await ccmlab('lab', 'trust', 'list', '--json');
    expect(JSON.parse(roots.stdout)).toEqual([
      expect.objectContaining({ name: 'site-ABC', subject: 'CN=SMS Issuing' }),
    ]);
    expect(fs.existsSync(path.join(lab, 'logs'))).toBe(false);
    expect((await tool('/new')).code).toBe(0);
    expect(fs.existsSync(path.join(lab, 'logs', 'site', 'BulkRegistrationTokenTool.log'))).toBe(true);
  });

  test('one clock: clock set moves every command, negative offsets included; --now still wins', async () => {
    expect((await ccmlab('clock', 'set', '-1d')).code).toBe(0);
    const shown = JSON.parse((await ccmlab('clock', 'show', '--json')).stdout) as { labTime: string; offsetMs: number };
    expect(Math.round(shown.offsetMs / 3_600_000)).toBe(-24);
    expect((await ccmlab('site', 'clock', 'set', 'reset')).code).toBe(0);
    expect(JSON.parse((await ccmlab('clock', 'show', '--json')).stdout).offsetMs).toBe(0);
    const pinned = JSON.parse((await ccmlab('clock', 'show', '--json', '--now', '2030-01-01T00:00:00Z')).stdout) as {
      labTime: string;
    };
    expect(pinned.labTime.startsWith('2030-01-01T00:00:0')).toBe(true);
  });

  describe('a running site', () => {
    let site: SiteProcess;
    beforeAll(async () => {
      site = await startSiteProcess(['--lab', lab], { cwd: work });
    });
    afterAll(async () => {
      await ccmlab('clock', 'set', 'reset');
      await site.stop();
    });

    test('listens on the recorded ports, publishes its names and writes ready.json', () => {
      const { ports } = readJson<{ ports: { mp: number; mpHttps: number; cmg: number } }>(lab, 'site', 'site.json');
      expect(new URL(site.ready.cmg).port).toBe(String(ports.cmg));
      expect(new URL(site.ready.mp).port).toBe(String(ports.mp));
      expect(readJson<{ names: Record<string, string> }>(lab, 'hosts.json').names['CONTOSO.CLOUDAPP.NET:443']).toBe(
        `127.0.0.1:${ports.cmg}`,
      );
      expect(readJson<{ pid: number }>(lab, 'site', 'ready.json').pid).toBe(site.child.pid);
    });

    test('a second start is refused, naming the running pid', async () => {
      const second = await ccmlab('site', 'start');
      expect(second.code).toBe(1);
      expect(second.stderr).toMatch(
        new RegExp(`CCMLAB_E_SITE_RUNNING: .*already running \\(process ${site.child.pid}\\)`),
      );
    });

    test('a token issued after clock set +31d is accepted, and tokens list judges by the lab clock', async () => {
      const early = JSON.parse((await ccmlab('site', 'tokens', 'list', '--json')).stdout) as Array<{ guid: string }>;
      expect((await ccmlab('clock', 'set', '+31d')).code).toBe(0);
      const issued = await tool('/new', '/lifetime', '60');
      const token = issued.stdout.split('\n')[4];
      const ca = fs.readFileSync(path.join(lab, 'site', 'pki', 'sms-issuing.pem'), 'utf8');
      const metadata = await request(
        `${site.ready.cmg.replace('127.0.0.1', 'localhost')}/CCM_Proxy_ServerAuth/ServiceMetadata`,
        { ca, headers: { authorization: `Bearer ${token}` } },
      );
      expect(metadata.status).toBe(200);
      const listed = JSON.parse((await ccmlab('site', 'tokens', 'list', '--json')).stdout) as Array<{
        guid: string;
        status: string;
      }>;
      expect(listed.filter((t) => early.some((e) => e.guid === t.guid)).map((t) => t.status)).toEqual(
        early.map(() => 'Expired'),
      );
      expect(listed.at(-1)?.status).toBe('Active');
    });
  });

  test('site stop stops it; a restart takes the same ports; a stale lock never blocks', async () => {
    const first = await startSiteProcess(['--lab', lab], { cwd: work });
    const stop = await ccmlab('site', 'stop', '--json');
    expect(JSON.parse(stop.stdout)).toEqual({ stopped: true, pid: first.child.pid });
    await first.stop();
    expect(fs.existsSync(path.join(lab, 'site', 'ready.json'))).toBe(false);
    // A lock left by a kill -9 whose pid now belongs to another program (this test runner).
    fs.writeFileSync(path.join(lab, 'site', 'site.lock'), `${process.pid}\n`);
    const again = await startSiteProcess(['--lab', lab], { cwd: work });
    try {
      expect(again.ready.cmg).toBe(first.ready.cmg);
      expect(again.ready.mp).toBe(first.ready.mp);
    } finally {
      await again.stop();
    }
    expect(JSON.parse((await ccmlab('site', 'stop', '--json')).stdout)).toEqual({ stopped: false, pid: null });
  });
});
