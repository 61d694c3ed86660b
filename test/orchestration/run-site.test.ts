import * as fs from 'node:fs';
import * as path from 'node:path';
import { systemClock } from '../../src/core/clock';
import { runSite, stopRequested, type SiteRunOptions } from '../../src/orchestration/run-site';
import { initSite } from '../../src/site/site-dir';
import { labAt } from '../../src/world/lab';
import { labNames } from '../../src/world/lab-names';
import { listFiles, removeDir, tempDir } from '../support/paths';

/**
 * The one site lifecycle: claimed and announced while it runs (site.lock, ready.json, its names
 * in its lab, --ready-file), nothing of it left once it stops or once a start is refused.
 */

let work: string;
let siteDir: string;
beforeAll(async () => {
  work = tempDir();
  siteDir = path.join(work, 'lab', 'site');
  await initSite({
    dir: siteDir,
    siteCode: 'ABC',
    mpName: 'mp01.contoso.com',
    cmgName: 'CONTOSO.CLOUDAPP.NET',
    roleId: '72186325152220500',
    passive: false,
    force: false,
    clock: systemClock,
  });
});
afterAll(() => removeDir(work));

const options = (extra: Partial<SiteRunOptions> = {}): SiteRunOptions => ({
  siteDir,
  logDir: path.join(work, 'logs'),
  host: '127.0.0.1',
  mpPort: 0,
  mpHttpsPort: 0,
  cmgPort: 0,
  lab: labAt(path.join(work, 'lab')),
  clock: () => systemClock,
  ...extra,
});

const runState = () => listFiles(siteDir).filter((f) => ['site.lock', 'ready.json'].includes(f));

test('a running site holds its lock, says where it listens and publishes its names; stop (twice) leaves neither lock nor ready files', async () => {
  const readyFile = path.join(work, 'elsewhere.json');
  const site = await runSite(options({ readyFile }));
  try {
    expect(runState()).toEqual(['ready.json', 'site.lock']);
    expect(JSON.parse(fs.readFileSync(readyFile, 'utf8'))).toEqual(site.ready);
    const published = labNames(labAt(path.join(work, 'lab'))).map((c) => `${c.host}:${c.port}`);
    expect(published).toContain('contoso.cloudapp.net:443');
  } finally {
    await Promise.all([site.stop(), site.stop()]);
  }
  expect(runState()).toEqual([]);
  expect(fs.existsSync(readyFile)).toBe(false);
});

test('a site outside every lab publishes no names', async () => {
  const hosts = path.join(work, 'lab', 'hosts.json');
  fs.rmSync(hosts, { force: true });
  const site = await runSite(options({ lab: undefined }));
  try {
    expect(runState()).toEqual(['ready.json', 'site.lock']);
  } finally {
    await site.stop();
  }
  expect(fs.existsSync(hosts)).toBe(false);
});

test('a lab whose names cannot be read refuses the start before the site is claimed or its clock made', async () => {
  const lab = labAt(path.join(work, 'bad-lab'));
  fs.mkdirSync(lab.root, { recursive: true });
  fs.writeFileSync(path.join(lab.root, 'hosts.json'), 'not json');
  const clock = jest.fn(() => systemClock);
  await expect(runSite(options({ lab, clock }))).rejects.toMatchObject({ code: 'CCMLAB_E_LAB_CORRUPT' });
  expect(runState()).toEqual([]);
  expect(clock).toHaveBeenCalledTimes(1);
});

test('a missing site is refused before its clock is made', async () => {
  const clock = jest.fn(() => systemClock);
  await expect(runSite(options({ siteDir: path.join(work, 'nowhere'), clock }))).rejects.toMatchObject({
    code: 'CCMLAB_E_SITE_NOT_FOUND',
  });
  expect(clock).not.toHaveBeenCalled();
});

test('a stop asked for by abort resolves and lets go of the signal listeners', async () => {
  const before = [process.listenerCount('SIGINT'), process.listenerCount('SIGTERM')];
  const abort = new AbortController();
  const stopped = stopRequested(abort.signal);
  expect([process.listenerCount('SIGINT'), process.listenerCount('SIGTERM')]).toEqual([before[0] + 1, before[1] + 1]);
  abort.abort();
  await expect(stopped).resolves.toBe('abort');
  expect([process.listenerCount('SIGINT'), process.listenerCount('SIGTERM')]).toEqual(before);
});
