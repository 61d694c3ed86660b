import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { readCabinet } from '../../src/protocol/cab';
import { parseManifest, type ClientManifest } from '../../src/protocol/client-manifest';
import { parseMultistatus, PROPFIND_ALLPROP } from '../../src/protocol/webdav';
import { systemClock } from '../../src/core/clock';
import { startSite } from '../../src/site/site-server';
import { request } from '../support/https-client';
import { removeDir, tempDir } from '../support/paths';
import { runCommand } from '../support/run-command';
import { ROLE, startTestSite, type TestSite } from '../support/test-site';

/** A real site on loopback: its MP serves <site dir>/Client as CCM_Client, over HTTP, HTTPS and through the CMG. */

let site: TestSite;
let client: string;
const CMG = `/CCM_Proxy_MutualAuth/${ROLE}`;
const sha256 = (data: Buffer) => crypto.createHash('sha256').update(data).digest('hex').toUpperCase();
const propfind = (depth?: string) => ({
  method: 'PROPFIND',
  body: PROPFIND_ALLPROP,
  headers: { 'content-type': 'text/xml', ...(depth === undefined ? {} : { depth }) },
});

function manifestOf(cab: Buffer): ClientManifest {
  const files = readCabinet(cab);
  if (!files.ok) throw new Error(files.defect);
  const parsed = parseManifest(files.files[0].data.toString('utf8'));
  if (!parsed.ok) throw new Error(parsed.defect);
  return parsed.manifest;
}

function listing(body: Buffer) {
  const parsed = parseMultistatus(body.toString('utf8'));
  if (!parsed.ok) throw new Error(parsed.defect);
  return parsed.entries;
}

/** One request written as it is on the wire (no client library normalising the target), its status line back. */
function rawStatus(target: string): Promise<string> {
  const { port } = new URL(site.running.ready.mp);
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(port), '127.0.0.1', () =>
      socket.end(`GET ${target} HTTP/1.1\r\nHost: mp01.lab.test\r\nConnection: close\r\n\r\n`),
    );
    let text = '';
    socket.on('data', (c: Buffer) => (text += c.toString('latin1')));
    socket.on('end', () => resolve(text.split('\r\n')[0]));
    socket.on('error', reject);
  });
}

beforeAll(async () => {
  site = await startTestSite();
  client = path.join(site.siteDir, 'Client');
});
afterAll(() => site.stop());

describe('CCM_Client on the MP', () => {
  test('PROPFIND Depth 1 of x64/ClientPatch: 207, the empty folder alone (paths in any case)', async () => {
    for (const p of ['/CCM_Client/x64/ClientPatch', '/ccm_client/X64/clientpatch/']) {
      const r = await site.mp(p, propfind('1'));
      expect(r.status).toBe(207);
      expect(r.headers['content-type']).toMatch(/^text\/xml/);
      const entries = listing(r.body);
      expect(entries).toEqual([{ href: `${p.replace(/\/$/, '')}/`, collection: true }]);
    }
  });

  test('PROPFIND Depth 1 of x64 lists its files with sizes and its folders; Depth 0 the folder alone; no Depth is refused', async () => {
    const entries = listing((await site.mp('/CCM_Client/x64', propfind('1'))).body);
    expect(entries).toContainEqual({
      href: '/CCM_Client/x64/client.msi',
      collection: false,
      size: fs.statSync(path.join(client, 'x64', 'client.msi')).size,
    });
    expect(entries).toContainEqual({ href: '/CCM_Client/x64/LanguagePack/', collection: true });
    expect(listing((await site.mp('/CCM_Client/x64', propfind('0'))).body)).toHaveLength(1);
    expect((await site.mp('/CCM_Client/x64', propfind())).status).toBe(403);
    expect((await site.mp('/CCM_Client/x64', propfind('2'))).status).toBe(400);
  });

  test('ccmsetup.cab over HTTPS holds the manifest; every file downloaded over HTTP has its size and SHA-256', async () => {
    const ca = fs.readFileSync(path.join(site.siteDir, 'pki', 'sms-issuing.pem'), 'utf8');
    const cab = await request(`${site.running.ready.mpHttps}/CCM_Client/ccmsetup.cab`, { ca });
    expect(cab.status).toBe(200);
    expect(cab.body.equals(fs.readFileSync(path.join(client, 'ccmsetup.cab')))).toBe(true);
    const manifest = manifestOf(cab.body);
    const downloads = manifest.items.filter((i) => i.download);
    expect(downloads.length).toBe(20);
    for (const item of downloads) {
      const r = await site.mp(`/CCM_Client/${item.name}`);
      expect({ name: item.name, status: r.status, size: r.body.length, sha256: sha256(r.body) }).toEqual({
        name: item.name,
        status: 200,
        ...item.download,
      });
    }
  });

  test('a range of x64/client.msi: 206 with its Content-Range and the bytes on disk; past the end 416; HEAD has no body', async () => {
    const file = fs.readFileSync(path.join(client, 'x64', 'client.msi'));
    const r = await site.mp('/CCM_Client/x64/client.msi', { headers: { range: 'bytes=100-1099' } });
    expect(r.status).toBe(206);
    expect(r.headers['content-range']).toBe(`bytes 100-1099/${file.length}`);
    expect(r.body.equals(file.subarray(100, 1100))).toBe(true);
    const tail = await site.mp('/CCM_Client/x64/client.msi', { headers: { range: 'bytes=-7' } });
    expect(tail.body.equals(file.subarray(file.length - 7))).toBe(true);
    const past = await site.mp('/CCM_Client/x64/client.msi', { headers: { range: `bytes=${file.length}-` } });
    expect([past.status, past.headers['content-range']]).toEqual([416, `bytes */${file.length}`]);
    const head = await site.mp('/CCM_Client/x64/client.msi', { method: 'HEAD' });
    expect([head.status, head.headers['content-length'], head.headers['accept-ranges'], head.body.length]).toEqual([
      200,
      String(file.length),
      'bytes',
      0,
    ]);
  });

  test('no way out of the Client folder: encoded dots, slashes and backslashes, links', async () => {
    for (const target of [
      '/CCM_Client/../site.json',
      '/CCM_Client/%2e%2e/site.json',
      '/CCM_Client/x64/..%2f..%2fsite.json',
      '/CCM_Client/..%5csite.json',
      '/CCM_Client\\..\\site.json',
    ])
      expect(`${target}: ${await rawStatus(target)}`).toBe(`${target}: HTTP/1.1 404 Not Found`);
    // A regular file planted there is served; the same as a link to outside is not.
    fs.copyFileSync(path.join(site.siteDir, 'site.json'), path.join(client, 'x64', 'copied.msi'));
    fs.symlinkSync(path.join(site.siteDir, 'site.json'), path.join(client, 'x64', 'linked.msi'));
    fs.symlinkSync(site.siteDir, path.join(client, 'up'));
    try {
      expect((await site.mp('/CCM_Client/x64/copied.msi')).status).toBe(200);
      expect((await site.mp('/CCM_Client/x64/linked.msi')).status).toBe(404);
      expect((await site.mp('/CCM_Client/up/site.json')).status).toBe(404);
      expect(listing((await site.mp('/CCM_Client/x64', propfind('1'))).body).map((e) => e.href)).not.toContain(
        '/CCM_Client/x64/linked.msi',
      );
    } finally {
      for (const name of ['x64/copied.msi', 'x64/linked.msi', 'up']) fs.rmSync(path.join(client, name));
    }
  });

  test('the site serves what is on disk: a deleted file is 404, an overwritten one disagrees with the manifest', async () => {
    const manifest = manifestOf((await site.mp('/CCM_Client/ccmsetup.cab')).body);
    const vcredist = path.join(client, 'x64', 'vcredist_x64.exe');
    const silverlight = path.join(client, 'i386', 'Silverlight.exe');
    const saved = [fs.readFileSync(vcredist), fs.readFileSync(silverlight)];
    try {
      fs.rmSync(vcredist);
      expect((await site.mp('/CCM_Client/x64/vcredist_x64.exe')).status).toBe(404);
      fs.writeFileSync(silverlight, 'not Silverlight');
      const r = await site.mp('/CCM_Client/i386/Silverlight.exe');
      expect(r.status).toBe(200);
      expect(sha256(r.body)).not.toBe(manifest.items.find((i) => i.name === 'i386/Silverlight.exe')?.download?.sha256);
    } finally {
      fs.writeFileSync(vcredist, saved[0]);
      fs.writeFileSync(silverlight, saved[1]);
    }
  });

  test('other methods are 405 with Allow; a folder GET is 403', async () => {
    const r = await site.mp('/CCM_Client/ccmsetup.cab', { method: 'PUT', body: 'x' });
    expect([r.status, r.headers.allow]).toEqual([405, 'GET, HEAD, PROPFIND']);
    expect((await site.mp('/CCM_Client/x64')).status).toBe(403);
  });
});

describe('CCM_Client through the CMG', () => {
  test('without a token: 401 CMGService_Invalid_Token', async () => {
    const r = await site.cmg(`${CMG}/CCM_Client/ccmsetup.cab`);
    expect([r.status, r.reason]).toEqual([401, 'CMGService_Invalid_Token']);
  });

  test("with a bulk registration token: the MP's bytes, ranges, and PROPFIND hrefs on the CMG's path", async () => {
    const auth = { authorization: `Bearer ${site.bulkToken().token}` };
    const direct = await site.mp('/CCM_Client/ccmsetup.cab');
    const viaCmg = await site.cmg(`${CMG}/CCM_Client/ccmsetup.cab`, { headers: auth });
    expect(viaCmg.status).toBe(200);
    expect(viaCmg.body.equals(direct.body)).toBe(true);
    const file = fs.readFileSync(path.join(client, 'x64', 'client.msi'));
    const range = await site.cmg(`${CMG}/CCM_CLIENT/x64/client.msi`, { headers: { ...auth, range: 'bytes=5-9' } });
    expect([range.status, range.body.equals(file.subarray(5, 10))]).toEqual([206, true]);
    const patches = await site.cmg(`${CMG}/CCM_Client/x64/ClientPatch`, {
      ...propfind('1'),
      headers: { ...propfind('1').headers, ...auth },
    });
    expect(listing(patches.body)).toEqual([{ href: `${CMG}/CCM_Client/x64/ClientPatch/`, collection: true }]);
  });
});

describe('site init --content-size, and a site made before the client source', () => {
  let work: string;
  beforeEach(() => (work = tempDir()));
  afterEach(() => removeDir(work));

  test('--content-size takes small or real; another value is refused before anything is made', async () => {
    const dir = path.join(work, 'site');
    const refused = await runCommand('ccmlab', ['site', 'init', '--site-dir', dir, '--content-size', 'huge'], {
      cwd: work,
    });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/content-size/);
    expect(fs.existsSync(dir)).toBe(false);
    const made = await runCommand('ccmlab', ['site', 'init', '--site-dir', dir, '--content-size', 'small'], {
      cwd: work,
    });
    expect(made.code).toBe(0);
    expect(fs.statSync(path.join(dir, 'Client', 'x64', 'client.msi')).size).toBeLessThan(8192);
  });

  test('a site without a Client folder gets one when it starts, and serves it', async () => {
    const dir = path.join(work, 'site');
    expect((await runCommand('ccmlab', ['site', 'init', '--site-dir', dir], { cwd: work })).code).toBe(0);
    fs.rmSync(path.join(dir, 'Client'), { recursive: true });
    const running = await startSite({
      siteDir: dir,
      host: '127.0.0.1',
      mpPort: 0,
      mpHttpsPort: 0,
      cmgPort: 0,
      logDir: path.join(work, 'logs'),
      clock: systemClock,
    });
    try {
      const r = await request(`${running.ready.mp}/CCM_Client/ccmsetup.cab`);
      expect(r.status).toBe(200);
      expect(manifestOf(r.body).items.length).toBeGreaterThan(0);
    } finally {
      await running.stop();
    }
  });
});
