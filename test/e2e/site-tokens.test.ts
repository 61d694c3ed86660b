import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseCmTrace } from '../../src/log/cmtrace-parse';
import { openSite } from '../../src/site/site-dir';
import { issuedBulkToken } from '../../src/site/bulk-tokens';
import { verifySiteToken } from '../../src/site/token-service';
import { emulatorWordsIn } from '../support/emulator-words';
import { removeDir, tempDir } from '../support/paths';
import { runCli } from '../support/run-cli';
import { runCommand } from '../support/run-command';

let work: string;
let siteDir: string;
let logDir: string;

const site = (...args: string[]) =>
  runCommand('ccmlab', ['site', ...args, '--site-dir', siteDir, '--log-dir', logDir], { cwd: work });
const tool = (...args: string[]) =>
  runCommand('BulkRegistrationTokenTool', [...args, '--site-dir', siteDir, '--log-dir', logDir], { cwd: work });

interface Listed {
  guid: string;
  type: string;
  validFrom: string;
  validTo: string;
  status: string;
  blockedAt: string | null;
}

async function listed(...extra: string[]): Promise<Listed[]> {
  const r = await site('tokens', 'list', '--json', ...extra);
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout) as Listed[];
}

function decode(token: string) {
  const [h, p] = token.split('.');
  return {
    header: JSON.parse(Buffer.from(h, 'base64url').toString()),
    payload: JSON.parse(Buffer.from(p, 'base64url').toString()),
  };
}

beforeAll(async () => {
  work = tempDir();
  siteDir = path.join(work, 'site');
  logDir = path.join(work, 'logs');
  const r = await runCommand('ccmlab', ['site', 'init', '--site-dir', siteDir, '--site-code', 'abc', '--json'], {
    cwd: work,
  });
  expect(r.code).toBe(0);
});
afterAll(() => removeDir(work));

describe('site init and show', () => {
  test('show --json names the site, its certificates and rootCaFile', async () => {
    const r = await site('show', '--json');
    expect(r.code).toBe(0);
    const shown = JSON.parse(r.stdout) as Record<string, any>;
    expect(shown).toMatchObject({
      siteCode: 'ABC',
      mpName: 'mp01.lab.test',
      cmgName: 'cmg.lab.test',
      roleId: '72057594037927941',
      passive: false,
    });
    expect(shown.hierarchyId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(shown.rootCaFile).toBe(path.join(siteDir, 'pki', 'sms-issuing.pem'));
    expect(shown.certificates.map((c: { title: string }) => c.title)).toEqual([
      'SMS Issuing',
      'SMS Token Signing Certificate',
      'SMS Role SSL Certificate',
      'Cloud Management Gateway server certificate',
    ]);
    // The lab's CMG certificate is issued by the SMS Issuing root, with loopback names.
    const root = new crypto.X509Certificate(fs.readFileSync(shown.rootCaFile));
    const cmg = new crypto.X509Certificate(fs.readFileSync(path.join(siteDir, 'pki', 'cmg.pem')));
    expect(cmg.verify(root.publicKey)).toBe(true);
    expect(cmg.subjectAltName).toBe('DNS:cmg.lab.test, DNS:localhost, IP Address:127.0.0.1');
    // Renewable certificates are kept with their keys, one file each; the root's certificate stands apart.
    for (const file of ['sms-issuing.key', 'token-signing.pem', 'role-ssl.pem', 'cmg.pem', '../site.db']) {
      expect(fs.statSync(path.join(siteDir, 'pki', file)).mode & 0o777).toBe(0o600);
    }
    expect(fs.statSync(shown.rootCaFile).mode & 0o777).toBe(0o644);
    expect(fs.readFileSync(shown.rootCaFile, 'utf8')).not.toContain('PRIVATE KEY');
    expect(fs.readdirSync(path.join(siteDir, 'pki')).sort()).toEqual([
      'cmg.pem',
      'role-ssl.pem',
      'sms-issuing.key',
      'sms-issuing.pem',
      'token-signing.pem',
    ]);
  });

  test('an existing site is not overwritten without --force', async () => {
    const before = fs.readFileSync(path.join(siteDir, 'site.json'), 'utf8');
    const r = await runCommand('ccmlab', ['site', 'init', '--site-dir', siteDir], { cwd: work });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/CCMLAB_E_SITE_EXISTS: a site already exists in .*; add --force/);
    expect(fs.readFileSync(path.join(siteDir, 'site.json'), 'utf8')).toBe(before);
  });

  test.each([
    [['--site-code', 'ABCD'], /--site-code 'ABCD' is not a site code/],
    [['--site-code', 'SMS'], /not AUX, CON, NUL, PRN or SMS/],
    [['--role-id', '12.5'], /--role-id '12.5' is not an MP role ID/],
    [['--role-id', '18446744073709551616'], /below 2\^64/],
    [['--mp-name', 'bad name'], /--mp-name 'bad name' is not a DNS host name/],
  ])('init refuses %p and creates nothing', async (args, message) => {
    const dir = path.join(work, `bad-${crypto.randomBytes(3).toString('hex')}`);
    const r = await runCommand('ccmlab', ['site', 'init', '--site-dir', dir, ...args], { cwd: work });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(fs.existsSync(dir)).toBe(false);
    expect(fs.readdirSync(work).filter((n) => n.includes('.init-'))).toEqual([]);
  });

  test('a non-empty directory that is not a site is refused', async () => {
    const dir = path.join(work, 'notes');
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, 'keep.txt'), 'mine');
    const r = await runCommand('ccmlab', ['site', 'init', '--site-dir', dir, '--force'], { cwd: work });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/is not empty and holds no site/);
    expect(fs.readdirSync(dir)).toEqual(['keep.txt']);
  });

  test('a missing site dir or one that is not a site: a clear error, not a stack trace', async () => {
    const missing = await runCommand(
      'BulkRegistrationTokenTool',
      ['/new', '--site-dir', path.join(work, 'nowhere'), '--log-dir', logDir],
      { cwd: work },
    );
    expect(missing.code).toBe(1);
    expect(missing.stderr.trim().split('\n')).toHaveLength(1);
    expect(missing.stderr).toMatch(
      /CCMLAB_E_SITE_NOT_FOUND: site directory .*nowhere does not exist; create a site with 'ccmlab site init/,
    );
    // The refusal is logged without the emulator's options, paths or hints.
    expect(emulatorWordsIn(logDir)).toEqual([]);
    const notSite = await runCommand('ccmlab', ['site', 'tokens', 'list', '--site-dir', work], { cwd: work });
    expect(notSite.code).toBe(1);
    expect(notSite.stderr).toMatch(/CCMLAB_E_NOT_A_SITE: .* is not a site directory/);
  });
});

describe('BulkRegistrationTokenTool', () => {
  test('/new /lifetime 60: the documented output shape and token', async () => {
    const r = await tool('/new', '/lifetime', '60');
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n');
    const guid = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/.exec(r.stdout)?.[0];
    const token = lines[4];
    expect(token).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
    const { header, payload } = decode(token);
    const shown = JSON.parse((await site('show', '--json')).stdout) as {
      hierarchyId: string;
      certificates: Array<{ name: string; thumbprint: string }>;
    };
    const thumbprint = shown.certificates.find((c) => c.name === 'token-signing')?.thumbprint ?? '';
    expect(header).toEqual({ typ: 'JWT', alg: 'RS256', x5t: Buffer.from(thumbprint, 'hex').toString('base64url') });
    expect(Object.keys(payload)).toEqual([
      'SCCMTokenCategory',
      'Authority',
      'License',
      'Type',
      'TenantId',
      'UniqueId',
      'iss',
      'aud',
      'exp',
      'nbf',
    ]);
    expect(payload).toMatchObject({
      Type: 'BulkRegistration',
      UniqueId: guid,
      TenantId: shown.hierarchyId.toUpperCase(),
      iss: `urn:sccm:oauth2:${shown.hierarchyId}`,
    });
    expect(payload.exp - payload.nbf).toBe(3600);
    // Wrapper scripts: the text between "Token is valid until " and the next "." is the expiry.
    const expiry = /Token is valid until ([^.]*)\./.exec(r.stdout)?.[1] ?? '';
    const local = new Date(payload.exp * 1000);
    const p = (n: number) => String(n).padStart(2, '0');
    expect(expiry).toBe(
      `${p(local.getMonth() + 1)}/${p(local.getDate())}/${local.getFullYear()} ${p(local.getHours())}:${p(local.getMinutes())}:${p(local.getSeconds())}`,
    );
    const tokens = await listed();
    expect(tokens.find((t) => t.guid === guid)).toMatchObject({
      type: 'Bulk Registration Token',
      status: 'Active',
      blockedAt: null,
      validTo: new Date(payload.exp * 1000).toISOString(),
    });
    // The token is stored nowhere on the site.
    for (const file of fs.readdirSync(siteDir).filter((n) => n.startsWith('site.db'))) {
      expect(fs.readFileSync(path.join(siteDir, file)).includes(token.split('.')[2].slice(0, 32))).toBe(false);
    }
    const entries = parseCmTrace(fs.readFileSync(path.join(logDir, 'BulkRegistrationTokenTool.log'), 'utf8')).entries;
    expect(entries.some((e) => e.message.includes(`Created bulk registration token ${guid}`))).toBe(true);
    expect(fs.readFileSync(path.join(logDir, 'BulkRegistrationTokenTool.log'), 'utf8')).not.toContain(
      token.split('.')[2],
    );
    // The site's own token service accepts it.
    const opened = openSite(siteDir);
    try {
      expect(
        verifySiteToken(token, {
          kind: 'bulk',
          verifier: opened.tokenVerifier(),
          hierarchyId: opened.config.hierarchyId,
          now: new Date(),
          lookupBulkToken: (g) => issuedBulkToken(opened, g),
        }).ok,
      ).toBe(true);
    } finally {
      opened.close();
    }
  });

  test.each([
    [['/new', '/lifetime:30'], 30],
    [['/LIFETIME', '15', '/NEW'], 15],
    [['/new'], 4320],
    [['/new', '/lifetime', '10080'], 10080],
  ])('%p gives lifetime %d', async (args, minutes) => {
    const r = await tool(...args);
    expect(r.code).toBe(0);
    const { payload } = decode(r.stdout.split('\n')[4]);
    expect(payload.exp - payload.nbf).toBe(minutes * 60);
  });

  test.each([
    [['/new', '/lifetime', '0'], 'BRTT_E_BAD_LIFETIME', /out of range/],
    [['/new', '/lifetime', '-1'], 'BRTT_E_BAD_LIFETIME', /not a whole number/],
    [['/new', '/lifetime', '10081'], 'BRTT_E_BAD_LIFETIME', /out of range; give 1 to 10080/],
    [['/new', '/lifetime', '4320.5'], 'BRTT_E_BAD_LIFETIME', /not a whole number/],
    [['/new', '/lifetime', 'abc'], 'BRTT_E_BAD_LIFETIME', /not a whole number/],
    [['/new', '/lifetime'], 'BRTT_E_BAD_LIFETIME', /needs a number of minutes/],
    [
      ['/lifetime', '4320'],
      'BRTT_E_USAGE',
      /\/lifetime only works with \/new: run BulkRegistrationTokenTool \/new \/lifetime 4320/,
    ],
    [['/nwe'], 'BRTT_E_USAGE', /did you mean \/new\?/],
    [[], 'BRTT_E_USAGE', /no action given/],
  ])('%p is refused and changes nothing', async (args, code, message) => {
    const before = await listed();
    const r = await tool(...args);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(new RegExp(`^BulkRegistrationTokenTool: error ${code}: `));
    expect(r.stderr).toMatch(message);
    expect(await listed()).toEqual(before);
    const last = parseCmTrace(
      fs.readFileSync(path.join(logDir, 'BulkRegistrationTokenTool.log'), 'utf8'),
    ).entries.pop();
    expect(last?.type).toBe(3);
  });

  test('CCMLAB_SITE_DIR and CCMLAB_NOW stand in for --site-dir and --now', async () => {
    const env = { CCMLAB_SITE_DIR: siteDir, CCMLAB_NOW: '2030-01-01T00:00:00Z' };
    const made = await runCommand('BulkRegistrationTokenTool', ['/new', '/lifetime', '5', '--log-dir', logDir], {
      cwd: work,
      env,
    });
    expect(made.code).toBe(0);
    const guid = decode(made.stdout.split('\n')[4]).payload.UniqueId as string;
    const list = await runCommand('ccmlab', ['site', 'tokens', 'list', '--json'], { cwd: work, env });
    expect((JSON.parse(list.stdout) as Listed[]).find((t) => t.guid === guid)).toMatchObject({
      validFrom: expect.stringMatching(/^2030-01-01T00:00:0\d\.000Z$/),
      status: 'Active',
    });
  });

  test('/? prints usage and exits 0', async () => {
    const r = await tool('/?');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/BulkRegistrationTokenTool \/new \[\/lifetime <minutes>\]/);
  });

  test('/new --json prints one JSON document (guid, validFrom, validTo, lifetimeMinutes, token) and nothing else', async () => {
    const r = await tool('/new', '/lifetime', '90', '--json');
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    const doc = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(Object.keys(doc)).toEqual(['guid', 'validFrom', 'validTo', 'lifetimeMinutes', 'token']);
    const iso = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
    expect(doc).toMatchObject({
      guid: expect.stringMatching(/^[0-9a-f-]{36}$/),
      validFrom: expect.stringMatching(iso),
      validTo: expect.stringMatching(iso),
      lifetimeMinutes: 90,
    });
    expect(Date.parse(doc.validTo as string) - Date.parse(doc.validFrom as string)).toBe(90 * 60_000);
    const { payload } = decode(doc.token as string);
    expect(payload).toMatchObject({
      UniqueId: doc.guid,
      nbf: Date.parse(doc.validFrom as string) / 1000,
      exp: Date.parse(doc.validTo as string) / 1000,
    });
    expect((await listed()).find((t) => t.guid === doc.guid)).toMatchObject({
      validFrom: doc.validFrom,
      validTo: doc.validTo,
    });
    // A refusal with --json is one JSON error document on stdout.
    const refused = await tool('/new', '/lifetime', '0', '--json');
    expect(refused.code).toBe(2);
    expect(JSON.parse(refused.stdout)).toMatchObject({ error: { code: 'BRTT_E_BAD_LIFETIME', exitCode: 2 } });
    expect(refused.stderr).toBe('');
  });

  test('a one-minute token says "1 minute", on stdout and in the log', async () => {
    const r = await tool('/new', '/lifetime', '1');
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n')[2]).toMatch(/^Lifetime: 1 minute, from /);
    const last = parseCmTrace(
      fs.readFileSync(path.join(logDir, 'BulkRegistrationTokenTool.log'), 'utf8'),
    ).entries.pop();
    expect(last?.message).toMatch(/ \(1 minute\)\.$/);
  });

  test('a passive site refuses /new with the known issue', async () => {
    const passiveDir = path.join(work, 'passive');
    expect(
      (await runCommand('ccmlab', ['site', 'init', '--site-dir', passiveDir, '--passive'], { cwd: work })).code,
    ).toBe(0);
    const r = await runCommand('BulkRegistrationTokenTool', ['/new', '--site-dir', passiveDir, '--log-dir', logDir], {
      cwd: work,
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /BRTT_E_PASSIVE_SITE: site LAB has its site server in passive mode, and a bulk registration token cannot be created there/,
    );
    const list = await runCommand('ccmlab', ['site', 'tokens', 'list', '--json', '--site-dir', passiveDir], {
      cwd: work,
    });
    expect(JSON.parse(list.stdout)).toEqual([]);
  });

  test('20 /new at once, each its own process, give 20 distinct GUIDs, all listed', async () => {
    const before = (await listed()).length;
    const runs = await Promise.all(
      Array.from({ length: 20 }, () =>
        runCli('BulkRegistrationTokenTool', ['/new', '/lifetime', '60', '--site-dir', siteDir, '--log-dir', logDir], {
          cwd: work,
        }),
      ),
    );
    for (const r of runs) expect(r.code).toBe(0);
    const guids = runs.map((r) => decode(r.stdout.split('\n')[4]).payload.UniqueId as string);
    expect(new Set(guids).size).toBe(20);
    const all = await listed();
    expect(all).toHaveLength(before + 20);
    for (const guid of guids) expect(all.some((t) => t.guid === guid)).toBe(true);
    // 20 processes at once on a small, busy machine (2 cores) can take longer than Jest's default minute.
  }, 150_000);
});

describe('tokens list, block, unblock', () => {
  let guid: string;
  beforeAll(async () => {
    const r = await tool('/new', '/lifetime', '60');
    guid = decode(r.stdout.split('\n')[4]).payload.UniqueId as string;
  });

  test('block, block again, unblock', async () => {
    const blocked = await site('tokens', 'block', guid.toUpperCase());
    expect(blocked.code).toBe(0);
    expect(blocked.stdout).toContain(`Bulk registration token ${guid} is now blocked.`);
    const entry = (await listed()).find((t) => t.guid === guid);
    expect(entry?.status).toBe('Blocked');
    expect(entry?.blockedAt).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
    const again = await site('tokens', 'block', `{${guid}}`);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('was already blocked; nothing changed');
    expect((await listed()).find((t) => t.guid === guid)?.blockedAt).toBe(entry?.blockedAt);
    const unblocked = await site('tokens', 'unblock', guid, '--json');
    expect(JSON.parse(unblocked.stdout)).toMatchObject({ guid, status: 'Active', blockedAt: null, changed: true });
  });

  test('an unknown or malformed GUID is an error and changes nothing', async () => {
    const before = await listed();
    const unknown = await site('tokens', 'block', '00000000-0000-0000-0000-000000000000');
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(
      /CCMLAB_E_TOKEN_NOT_FOUND: no bulk registration token has GUID 00000000-0000-0000-0000-000000000000/,
    );
    const bad = await site('tokens', 'unblock', 'not-a-guid');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/CCMLAB_E_BAD_GUID/);
    expect(await listed()).toEqual(before);
  });

  test('status is Expired once the lifetime has passed (by --now)', async () => {
    const later = await listed('--now', new Date(Date.now() + 2 * 3600_000).toISOString());
    expect(later.find((t) => t.guid === guid)?.status).toBe('Expired');
  });

  test('the human list has a header row; --json has none', async () => {
    const human = await site('tokens', 'list');
    expect(human.code).toBe(0);
    const [header, ...rows] = human.stdout.trimEnd().split('\n');
    expect(header).toMatch(/^GUID {2,}Type {2,}Valid from {2,}Valid to {2,}Status {2,}Blocked at$/);
    expect(rows.some((row) => row.startsWith(guid))).toBe(true);
    const json = await listed();
    expect(json.every((t) => /^[0-9a-f-]{36}$/.test(t.guid))).toBe(true);
  });

  test('clients list with no clients says "No clients."; --json gives []', async () => {
    const none = await site('clients', 'list');
    expect(none.stdout).toBe('No clients.\n');
    expect(JSON.parse((await site('clients', 'list', '--json')).stdout)).toEqual([]);
  });

  test('--all adds the site certificates as the console lists them', async () => {
    const all = await listed('--all');
    expect(all.filter((t) => t.guid === null).map((t) => t.type)).toEqual([
      'SMS Issuing',
      'SMS Token Signing Certificate',
      'SMS Role SSL Certificate',
      'Cloud Management Gateway server certificate',
    ]);
  });

  test('a signing certificate beside another key is refused by the token tool and the site; renewal mends it as one unit', async () => {
    const bundle = path.join(siteDir, 'pki', 'token-signing.pem');
    const good = fs.readFileSync(bundle, 'utf8');
    const foreignKey = /-----BEGIN PRIVATE KEY-----[\s\S]+?-----END PRIVATE KEY-----/.exec(
      fs.readFileSync(path.join(siteDir, 'pki', 'cmg.pem'), 'utf8'),
    )?.[0] as string;
    // What a renewal killed between writing the key and the certificate used to leave behind.
    fs.writeFileSync(bundle, good.replace(/-----BEGIN PRIVATE KEY-----[\s\S]+?-----END PRIVATE KEY-----/, foreignKey));
    const refused = await tool('/new', '/lifetime', '60');
    expect(refused.code).toBe(1);
    expect(refused.stdout).toBe('');
    expect(refused.stderr.trimEnd().split('\n')).toEqual([
      expect.stringMatching(
        /^BulkRegistrationTokenTool: error CCMLAB_E_SITE_KEY_MISMATCH: the site's token-signing certificate and the key beside it do not belong together .*ccmlab site certs renew token-signing/,
      ),
    ]);
    const start = await site('start', '--mp-port', '0', '--mp-https-port', '0', '--cmg-port', '0');
    expect(start.code).toBe(1);
    expect(start.stderr).toMatch(/CCMLAB_E_SITE_KEY_MISMATCH/);
    const renewed = await site('certs', 'renew', 'token-signing');
    expect(renewed.code).toBe(0);
    expect(fs.readdirSync(path.join(siteDir, 'pki')).filter((f) => f.startsWith('token-signing'))).toEqual([
      'token-signing.pem',
    ]);
    expect((await tool('/new', '/lifetime', '60')).code).toBe(0);
  });

  test('renewing the token signing certificate stops every token it signed', async () => {
    const r = await tool('/new', '/lifetime', '60');
    const token = r.stdout.split('\n')[4];
    const renewed = await site('certs', 'renew', 'token-signing', '--json');
    expect(renewed.code).toBe(0);
    const { previousThumbprint, thumbprint } = JSON.parse(renewed.stdout) as {
      previousThumbprint: string;
      thumbprint: string;
    };
    expect(thumbprint).not.toBe(previousThumbprint);
    const opened = openSite(siteDir);
    try {
      const check = verifySiteToken(token, {
        kind: 'bulk',
        verifier: opened.tokenVerifier(),
        hierarchyId: opened.config.hierarchyId,
        now: new Date(),
        lookupBulkToken: (g) => issuedBulkToken(opened, g),
      });
      expect(check).toMatchObject({ ok: false, code: 'TOKEN_UNKNOWN_SIGNER' });
    } finally {
      opened.close();
    }
  });
});
