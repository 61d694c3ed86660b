import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Readable } from 'node:stream';
import { parseCmTrace } from '../../src/log/cmtrace-parse';
import { emulatorWordsIn } from '../support/emulator-words';
import { articleCorruptedToken, listFiles, removeDir, ROOT, tempDir } from '../support/paths';
import { runCli, type CliResult } from '../support/run-cli';
import { runCommand } from '../support/run-command';
import { waitForOutput } from '../support/wait-for';

const CMG = 'CONTOSO.CLOUDAPP.NET';
const ROLE = '72186325152220500';
const ROTATION = `Rotating internet management point, new management point [1] is: https://${CMG}/CCM_Proxy_MutualAuth/${ROLE} (0) with capabilities: <Capabilities SchemaVersion ="1.0"><Property Name="SSL" Version="1" /></Capabilities>`;
const DAY = 86_400_000;

let work: string;
let siteDir: string;
let siteProcess: ChildProcess;
let ready: { mp: string; cmg: string };
let rootCa: string;

const cwd = () => work;
const site = (...args: string[]) => runCommand('ccmlab', ['site', ...args, '--site-dir', siteDir], { cwd: cwd() });

async function bulkToken(...extra: string[]): Promise<{ token: string; guid: string }> {
  const r = await runCommand('BulkRegistrationTokenTool', ['/new', '--site-dir', siteDir, ...extra], { cwd: cwd() });
  expect(r.code).toBe(0);
  return { token: r.stdout.split('\n')[4], guid: /[0-9a-f-]{36}/.exec(r.stdout)?.[0] ?? '' };
}

function dirs(name: string) {
  return { clientDir: path.join(work, 'clients', name), logDir: path.join(work, 'logs', name) };
}

function emulator(name: string, extra: { ca?: boolean; port?: string } = {}): string[] {
  const { clientDir, logDir } = dirs(name);
  const port = extra.port ?? new URL(ready.cmg).port;
  return [
    '--client-dir',
    clientDir,
    '--log-dir',
    logDir,
    '--netbios',
    name,
    '--connect-to',
    `${CMG}:443:127.0.0.1:${port}`,
    ...(extra.ca === false ? [] : ['--ca-file', rootCa]),
  ];
}

const article = (token: string, role = ROLE) => [
  `/mp:https://${CMG}/CCM_Proxy_MutualAuth/${role}`,
  `CCMHOSTNAME=${CMG}/CCM_Proxy_MutualAuth/${role}`,
  'SMSSiteCode=ABC',
  `/regtoken:${token}`,
];

function entries(name: string, log: string) {
  return parseCmTrace(fs.readFileSync(path.join(dirs(name).logDir, `${log}.log`), 'utf8')).entries;
}

function clientJson(name: string): Record<string, any> {
  return JSON.parse(fs.readFileSync(path.join(dirs(name).clientDir, 'client.json'), 'utf8')) as Record<string, any>;
}

/** Each test installs the clients it uses, so it passes alone (`jest -t`) and in any order. */
async function installClient(name: string, token: string): Promise<void> {
  const r = await runCommand('ccmsetup', [...article(token), ...emulator(name)], { cwd: work });
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
}

function expectRefused(r: CliResult, name: string, stderr: RegExp): void {
  expect(r.code).toBe(6);
  expect(r.stderr.trim().split('\n')).toHaveLength(1);
  expect(r.stderr).toMatch(stderr);
  expect(fs.existsSync(path.join(dirs(name).clientDir, 'client.json'))).toBe(false);
  expect(listFiles(dirs(name).clientDir).filter((f) => f !== 'ccmsetup.lock')).toEqual([]);
  const last = entries(name, 'ccmsetup').pop();
  expect(last?.message).toMatch(/^CcmSetup failed with error code 0x[0-9A-F]{8}$/);
}

beforeAll(async () => {
  work = tempDir();
  siteDir = path.join(work, 'site');
  // The site and its clients are machines of one lab, named (explicit directories alone would keep every lab out): its clock moves them all.
  process.env.CCMLAB_LAB = path.join(work, 'lab');
  expect(
    (
      await runCommand(
        'ccmlab',
        ['site', 'init', '--site-dir', siteDir, '--site-code', 'ABC', '--cmg-name', CMG, '--role-id', ROLE],
        { cwd: work },
      )
    ).code,
  ).toBe(0);
  rootCa = JSON.parse((await site('show', '--json')).stdout).rootCaFile as string;
  const readyFile = path.join(work, 'ready.json');
  siteProcess = spawn(
    process.execPath,
    [
      path.join(ROOT, 'bin', 'ccmlab.js'),
      'site',
      'start',
      '--site-dir',
      siteDir,
      '--log-dir',
      path.join(work, 'logs', 'site'),
      '--ready-file',
      readyFile,
    ],
    { cwd: work, env: process.env, stdio: ['ignore', 'pipe', 'ignore'] },
  );
  // The ready file is written before the site says it is running.
  await waitForOutput(siteProcess.stdout as Readable, /Stop it with Ctrl\+C/);
  siteProcess.stdout?.resume();
  ready = JSON.parse(fs.readFileSync(readyFile, 'utf8')) as { mp: string; cmg: string };
});

afterAll(async () => {
  delete process.env.CCMLAB_LAB;
  const closed = new Promise((resolve) => siteProcess.on('close', resolve));
  siteProcess.kill('SIGTERM');
  await closed;
  removeDir(work);
});

describe('ccmsetup with the article command line, against ccmlab site start', () => {
  let token: string;
  beforeAll(async () => {
    token = (await bulkToken()).token;
  });

  test('enrolls: exit 0, the documented ClientLocation.log line, token 0600 for 90 days, no bulk token anywhere', async () => {
    const r = await runCommand('ccmsetup', [...article(token), ...emulator('CLIENT01')], { cwd: work });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const raw = fs.readFileSync(path.join(dirs('CLIENT01').logDir, 'ClientLocation.log'), 'utf8');
    expect(raw).toMatch(
      new RegExp(
        `<!\\[LOG\\[${ROTATION.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\]LOG\\]!><time="\\d\\d:\\d\\d:\\d\\d\\.\\d{3}[+-]\\d+" date="\\d\\d-\\d\\d-\\d{4}" component="ClientLocation" context="" type="1" thread="\\d+" file="[^"]+">\\r\\n`,
      ),
    );
    const { clientDir } = dirs('CLIENT01');
    expect(fs.statSync(path.join(clientDir, 'token.jwt')).mode & 0o777).toBe(0o600);
    for (const key of ['signing.key', 'encryption.key'])
      expect(fs.statSync(path.join(clientDir, 'certs', key)).mode & 0o777).toBe(0o600);
    const config = clientJson('CLIENT01');
    expect(Date.parse(config.token.expiresAt) - Date.parse(config.token.issuedAt)).toBe(90 * DAY);
    expect(Date.parse(config.token.renewalDue) - Date.parse(config.token.issuedAt)).toBe(30 * DAY);
    expect(config).toMatchObject({
      siteCode: 'ABC',
      internetMp: `https://${CMG}/CCM_Proxy_MutualAuth/${ROLE}`,
      location: 'internet',
      registeredBy: 'bulk-token',
      registration: 'registered',
    });
    expect(fs.readFileSync(path.join(clientDir, 'smscfg.ini'), 'utf8')).toContain(
      `SMS Unique Identifier=${config.smsid}`,
    );
    const signature = token.split('.')[2];
    for (const file of [
      ...listFiles(clientDir).map((f) => path.join(clientDir, f)),
      ...listFiles(dirs('CLIENT01').logDir).map((f) => path.join(dirs('CLIENT01').logDir, f)),
    ]) {
      expect(fs.readFileSync(file, 'utf8').includes(signature)).toBe(false);
    }
    const setup = entries('CLIENT01', 'ccmsetup').map((e) => e.message);
    expect(setup[0]).toMatch(/^==========\[ ccmsetup started in process \d+ \]==========$/);
    expect(setup[setup.length - 1]).toBe('CcmSetup is exiting with return code 0');
    // Each component logs from its own thread (multiples of 4), stable within the process: not the pid everywhere.
    const threadsOf = (log: string) => new Set(entries('CLIENT01', log).map((e) => e.thread));
    const [setupThreads, messagingThreads] = [threadsOf('ccmsetup'), threadsOf('CcmMessaging')];
    expect([setupThreads.size, messagingThreads.size]).toEqual([1, 1]);
    expect([...setupThreads][0]).not.toBe([...messagingThreads][0]);
    expect([...setupThreads, ...messagingThreads].every((t) => t % 4 === 0)).toBe(true);
    const ids = entries('CLIENT01', 'ClientIDManagerStartup').map((e) => e.message);
    expect(ids).toContain(
      `[RegTask] - Client is registered. Server assigned ClientID is ${config.smsid}. Approval status 1`,
    );
    expect(ids).toContain(`Getting CCM Token from https://${CMG}/CCM_Proxy_ServerAuth/${ROLE}/CCM_STS`);
    expect(entries('CLIENT01', 'LocationServices').map((e) => e.message)).toContain(
      'Appending CCM Token to the header.',
    );
    // Microsoft's published wording, in the flow step where the real product writes it (LOG-LINES.md).
    expect(ids).toContain('[RegTask] - Executing registration task synchronously.');
    expect(ids).toContain(
      `Getting CCM Token from STS server '${CMG.split('/')[0].toLowerCase()}/CCM_PROXY_MutualAuth/${ROLE}'`,
    );
    expect(
      ids.some((m) =>
        /^Cached encrypted token for 'S-1-5-18'\. Will expire at '\d\d\/\d\d\/\d{4} \d\d:\d\d:\d\d'$/.test(m),
      ),
    ).toBe(true);
    expect(setup).toContain(`Found a valid online MP 'https://${CMG}/CCM_Proxy_MutualAuth/${ROLE}'.`);
    const siteLog = (name: string) =>
      parseCmTrace(fs.readFileSync(path.join(work, 'logs', 'site', `${name}.log`), 'utf8')).entries.map(
        (e) => e.message,
      );
    expect(siteLog('MP_RegistrationManager')).toContain(
      `Processing Registration request from Client '${config.smsid}'`,
    );
    const sts = siteLog('CCM_STS');
    const start = sts.lastIndexOf('ProcessRequest - Start');
    expect(sts.slice(start, start + 5)).toEqual([
      'ProcessRequest - Start',
      'Incoming request URL: https://MP01.LAB.TEST/CCM_STS',
      expect.stringMatching(/^Issued CCM token /),
      'Issued token',
      'Return token to client',
    ]);
    const clients = JSON.parse((await site('clients', 'list', '--json')).stdout) as Array<Record<string, unknown>>;
    expect(clients.find((c) => c.smsid === config.smsid)).toMatchObject({
      state: 'registered',
      registeredBy: 'bulk-token',
    });
  });

  test('site clients list prints a header row over the clients (human output only)', async () => {
    await installClient('HEADER01', token);
    const { smsid } = clientJson('HEADER01');
    const r = await site('clients', 'list');
    expect(r.code).toBe(0);
    const [header, ...rows] = r.stdout.trimEnd().split('\n');
    expect(header).toMatch(
      /^SMSID {2,}NetBIOS name {2,}State {2,}Approval {2,}Registered by {2,}Account {2,}Bulk token GUID$/,
    );
    expect(rows.find((row) => row.startsWith(smsid))).toMatch(
      / {2}HEADER01 {2,}registered {2,}\S+ {2,}bulk-token {2,}[0-9a-f-]{36}$/,
    );
  });

  test('the agent renews at day 31 and stores the new token; status shows it', async () => {
    await installClient('RENEW01', token);
    const before = clientJson('RENEW01');
    const notYet = await runCommand('ccmlab', ['client', 'start', '--client-dir', dirs('RENEW01').clientDir], {
      cwd: work,
    });
    expect(notYet.code).toBe(0);
    expect(notYet.stdout).toMatch(/renewal due/);
    const later = new Date(Date.parse(before.token.issuedAt) + 31 * DAY).toISOString();
    expect((await site('clock', 'set', '+31d')).code).toBe(0);
    try {
      const renewed = await runCommand(
        'ccmlab',
        ['client', 'start', '--client-dir', dirs('RENEW01').clientDir, '--now', later, '--json'],
        { cwd: work },
      );
      expect(renewed.stderr).toBe('');
      expect(renewed.code).toBe(0);
      expect(JSON.parse(renewed.stdout)).toMatchObject({ action: 'renewed' });
    } finally {
      await site('clock', 'set', 'reset');
    }
    const after = clientJson('RENEW01');
    expect(after.token.jti).not.toBe(before.token.jti);
    expect(Date.parse(after.token.issuedAt)).toBeGreaterThanOrEqual(Date.parse(later) - 60_000);
    const status = JSON.parse(
      (
        await runCommand('ccmlab', ['client', 'status', '--json', '--client-dir', dirs('RENEW01').clientDir], {
          cwd: work,
        })
      ).stdout,
    ) as Record<string, unknown>;
    expect(status).toMatchObject({
      smsid: after.smsid,
      tokenExpiresAt: after.token.expiresAt,
      renewalDue: after.token.renewalDue,
      siteCode: 'ABC',
    });
    expect(status.signingThumbprint).toMatch(/^[0-9A-F]{40}$/);
  });

  test('past 90 days without renewal the agent fails and keeps every file', async () => {
    await installClient('EXPIRE01', token);
    const tokenFile = path.join(dirs('EXPIRE01').clientDir, 'token.jwt');
    const kept = fs.readFileSync(tokenFile, 'utf8');
    const r = await runCommand(
      'ccmlab',
      [
        'client',
        'start',
        '--client-dir',
        dirs('EXPIRE01').clientDir,
        '--now',
        new Date(Date.now() + 91 * DAY).toISOString(),
      ],
      { cwd: work },
    );
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /CCMCLIENT_E_TOKEN_EXPIRED: the client's CCM token expired at .*; reinstall with ccmsetup \/regtoken:<new bulk token> \(it knows no intranet MP/,
    );
    expect(fs.readFileSync(tokenFile, 'utf8')).toBe(kept);
    expect(
      entries('EXPIRE01', 'ClientIDManagerStartup').some(
        (e) => e.type === 3 && /The CCM token expired at/.test(e.message),
      ),
    ).toBe(true);
  });

  test('client status gives tokenState by the client clock (--now, CCMLAB_NOW); the human form says expired', async () => {
    await installClient('STATE01', token);
    const { clientDir } = dirs('STATE01');
    const issued = Date.parse(clientJson('STATE01').token.issuedAt);
    const status = async (env: Record<string, string>, ...extra: string[]) => {
      const r = await runCommand('ccmlab', ['client', 'status', '--client-dir', clientDir, ...extra], {
        cwd: work,
        env,
      });
      expect(r.code).toBe(0);
      return r;
    };
    const state = async (env: Record<string, string>, ...extra: string[]) =>
      (JSON.parse((await status(env, '--json', ...extra)).stdout) as { tokenState: string }).tokenState;
    expect(await state({})).toBe('valid');
    expect(await state({}, '--now', new Date(issued + 31 * DAY).toISOString())).toBe('renewal-due');
    expect(await state({ CCMLAB_NOW: new Date(issued + 91 * DAY).toISOString() })).toBe('expired');
    const human = await status({}, '--now', new Date(issued + 91 * DAY).toISOString());
    expect(human.stdout).toMatch(/^tokenState +expired$/m);
    expect(human.stdout).toMatch(/The CCM token expired at .*: reinstall with ccmsetup \/regtoken:/);
    expect((await status({})).stdout).toMatch(/^tokenState +valid$/m);
  });

  test('a rerun keeps the identity; /logon does nothing; /forceinstall starts afresh; /uninstall keeps the logs', async () => {
    await installClient('CLIENT02', token);
    const smsid = clientJson('CLIENT02').smsid as string;
    expect((await runCommand('ccmsetup', [...article(token), ...emulator('CLIENT02')], { cwd: work })).code).toBe(0);
    expect(clientJson('CLIENT02').smsid).toBe(smsid);
    const before = fs.readFileSync(path.join(dirs('CLIENT02').clientDir, 'client.json'), 'utf8');
    const logon = await runCommand('ccmsetup', [...article(token), '/logon', ...emulator('CLIENT02')], { cwd: work });
    expect(logon.code).toBe(0);
    expect(fs.readFileSync(path.join(dirs('CLIENT02').clientDir, 'client.json'), 'utf8')).toBe(before);
    expect(
      (await runCommand('ccmsetup', [...article(token), '/forceinstall', ...emulator('CLIENT02')], { cwd: work })).code,
    ).toBe(0);
    expect(clientJson('CLIENT02').smsid).not.toBe(smsid);
    const uninstall = await runCommand('ccmsetup', ['/uninstall', ...emulator('CLIENT02')], { cwd: work });
    expect(uninstall.code).toBe(0);
    expect(listFiles(dirs('CLIENT02').clientDir)).toEqual([]);
    expect(fs.existsSync(path.join(dirs('CLIENT02').logDir, 'ClientLocation.log'))).toBe(true);
  });

  test('RESETKEYINFORMATION=TRUE fetches the MP key information afresh; a plain rerun keeps it', async () => {
    await installClient('RESETKEY01', token);
    const fetched = () =>
      entries('RESETKEY01', 'LocationServices').filter((e) => e.message.startsWith('Retrieved MPKEYINFORMATION'))
        .length;
    const before = fetched();
    expect((await runCommand('ccmsetup', [...article(token), ...emulator('RESETKEY01')], { cwd: work })).code).toBe(0);
    expect(fetched()).toBe(before);
    expect(
      (
        await runCommand('ccmsetup', [...article(token), 'RESETKEYINFORMATION=TRUE', ...emulator('RESETKEY01')], {
          cwd: work,
        })
      ).code,
    ).toBe(0);
    expect(fetched()).toBe(before + 1);
    expect(clientJson('RESETKEY01').mpKeyInformation).toMatch(/^[0-9A-F]+$/);
  });

  test('a second ccmsetup while one runs exits 8', async () => {
    const { clientDir } = dirs('CLIENT03');
    fs.mkdirSync(clientDir, { recursive: true });
    fs.writeFileSync(path.join(clientDir, 'ccmsetup.lock'), String(process.pid));
    try {
      // A real process: the lock names this test's process, a running ccmsetup of another process.
      const r = await runCli('ccmsetup', [...article(token), ...emulator('CLIENT03')], { cwd: work });
      expect(r.code).toBe(8);
      expect(r.stderr).toMatch(/CCMSETUP_E_ALREADY_RUNNING/);
    } finally {
      fs.rmSync(path.join(clientDir, 'ccmsetup.lock'));
    }
  });
});

describe('errors end to end: exit 6, one line, the [CCMHTTP] lines, nothing stored', () => {
  test('a blocked bulk token', async () => {
    const { token, guid } = await bulkToken();
    expect((await site('tokens', 'block', guid)).code).toBe(0);
    const r = await runCommand('ccmsetup', [...article(token), ...emulator('BLOCKED1')], { cwd: work });
    expectRefused(r, 'BLOCKED1', /CMGService_Invalid_Token/);
    const lines = entries('BLOCKED1', 'ccmsetup').map((e) => e.message);
    expect(lines).toContain(
      `[CCMHTTP] ERROR: URL=https://${CMG}/CCM_Proxy_ServerAuth/ServiceMetadata , Port=443, Options=224, Code=0, Text=CCM_E_BAD_HTTP_STATUS_CODE`,
    );
    expect(lines).toContain('[CCMHTTP] ERROR INFO: StatusCode=401 StatusText=CMGService_Invalid_Token');
  });

  test('an expired bulk token', async () => {
    const { token } = await bulkToken('/lifetime', '1', '--now', new Date(Date.now() - 3_600_000).toISOString());
    const r = await runCommand('ccmsetup', [...article(token), ...emulator('EXPIRED1')], { cwd: work });
    expectRefused(
      r,
      'EXPIRED1',
      /the CMG refused the bulk token \(401 CMGService_Invalid_Token\); the site's CCM_STS\.log gives the reason$/m,
    );
    const sts = parseCmTrace(fs.readFileSync(path.join(work, 'logs', 'site', 'CCM_STS.log'), 'utf8')).entries;
    expect(sts.some((e) => e.message.includes('IDX10223: Lifetime validation failed. The token is expired.'))).toBe(
      true,
    );
  });

  test('the CMG is down (connection refused)', async () => {
    const { token } = await bulkToken();
    const r = await runCommand('ccmsetup', [...article(token), ...emulator('DOWN1', { port: '1' })], { cwd: work });
    expectRefused(r, 'DOWN1', /CCMCLIENT_E_CANNOT_CONNECT/);
    expect(entries('DOWN1', 'ccmsetup').map((e) => e.message)).toContain(
      `[CCMHTTP] ERROR: URL=https://${CMG}/CCM_Proxy_ServerAuth/ServiceMetadata, Port=443, Options=63, Code=12029, Text=ERROR_WINHTTP_CANNOT_CONNECT`,
    );
  });

  test('an untrusted CMG certificate', async () => {
    const { token } = await bulkToken();
    // A machine of a lab that does not trust the site's root (no --ca-file either).
    const r = await runCommand(
      'ccmsetup',
      [...article(token), ...emulator('UNTRUST1', { ca: false }), '--lab', path.join(work, 'untrusting-lab')],
      { cwd: work },
    );
    expectRefused(r, 'UNTRUST1', /CCMCLIENT_E_SECURE_FAILURE/);
    const lines = entries('UNTRUST1', 'ccmsetup').map((e) => e.message);
    expect(lines).toEqual(
      expect.arrayContaining([
        '[CCMHTTP] AsyncCallback(): WINHTTP_CALLBACK_STATUS_SECURE_FAILURE Encountered',
        '[CCMHTTP]            : dwStatusInformationLength is 4',
        '[CCMHTTP]            : WINHTTP_CALLBACK_STATUS_FLAG_INVALID_CA is set',
        `[CCMHTTP] ERROR: URL=https://${CMG}/CCM_Proxy_ServerAuth/ServiceMetadata, Port=443, Options=63, Code=12175, Text=ERROR_WINHTTP_SECURE_FAILURE`,
      ]),
    );
  });

  test('a CMG certificate for another name (CERT_CN_INVALID)', async () => {
    const { token } = await bulkToken();
    // The MP's HTTPS listener presents the SMS Role SSL Certificate (mp01.lab.test), trusted but for another name.
    const ready2 = JSON.parse(fs.readFileSync(path.join(work, 'ready.json'), 'utf8')) as { mpHttps: string };
    const r = await runCommand(
      'ccmsetup',
      [...article(token), ...emulator('CNBAD1', { port: new URL(ready2.mpHttps).port })],
      { cwd: work },
    );
    expectRefused(
      r,
      'CNBAD1',
      /CCMCLIENT_E_SECURE_FAILURE: TLS with CONTOSO.CLOUDAPP.NET failed \(CERT_CN_INVALID.*check the CMG or MP name in \/mp and CCMHOSTNAME/i,
    );
    // The advice follows the cause: a name mismatch is not mended by trusting a root.
    expect(r.stderr).not.toMatch(/--ca-file/);
    expect(entries('CNBAD1', 'ccmsetup').map((e) => e.message)).toContain(
      '[CCMHTTP]            : WINHTTP_CALLBACK_STATUS_FLAG_CERT_CN_INVALID is set',
    );
  });

  test('a role ID the site does not know', async () => {
    const { token } = await bulkToken();
    const r = await runCommand('ccmsetup', [...article(token, '72186325152220999'), ...emulator('ROLE1')], {
      cwd: work,
    });
    expectRefused(
      r,
      'ROLE1',
      /the CMG fronts no management point with role ID 72186325152220999 \(404 Not Found\); check the role ID in \/mp and CCMHOSTNAME/,
    );
  });

  test('a listener that speaks the wrong protocol fails at once with a hint, not a timeout', async () => {
    const { token } = await bulkToken();
    const ready2 = JSON.parse(fs.readFileSync(path.join(work, 'ready.json'), 'utf8')) as {
      mp: string;
      mpHttps: string;
    };
    const tlsToHttp = await runCommand(
      'ccmsetup',
      [...article(token), ...emulator('PROTO1', { port: new URL(ready2.mp).port })],
      { cwd: work },
    );
    expectRefused(
      tlsToHttp,
      'PROTO1',
      /CCMCLIENT_E_PROTOCOL: .* does not speak TLS there .*Use http:\/\/ for it, or the HTTPS port/,
    );
    const httpToTls = await runCommand(
      'ccmsetup',
      [
        `/mp:http://127.0.0.1:${new URL(ready2.mpHttps).port}`,
        'SMSSITECODE=ABC',
        '--netbios',
        'PROTO2',
        '--client-dir',
        dirs('PROTO2').clientDir,
        '--log-dir',
        dirs('PROTO2').logDir,
      ],
      { cwd: work },
    );
    expectRefused(
      httpToTls,
      'PROTO2',
      /CCMCLIENT_E_PROTOCOL: .*closed the connection without an HTTP answer .*is that a TLS \(https\) port\?/,
    );
  });

  test.each([
    [
      'wrapped in quotes',
      (t: string) => `"${t}"`,
      /\/regtoken is wrapped in quotes, which belong to no token: pass it without them/,
    ],
    [
      'with a trailing CR',
      (t: string) => `${t}\r`,
      /\/regtoken ends with a carriage return \(CR\) copied with the token: remove it/,
    ],
    [
      'with a trailing newline',
      (t: string) => `${t}\n`,
      /\/regtoken ends with a newline copied with the token: remove it/,
    ],
  ])('a /regtoken value %s is named for what it is', async (_name, wrap, message) => {
    const { token } = await bulkToken();
    const r = await runCommand('ccmsetup', [...article(wrap(token)), ...emulator('WRAP1')], { cwd: work });
    expectRefused(r, 'WRAP1', message);
  });

  test('the article corrupted token', async () => {
    const corrupted = articleCorruptedToken();
    const r = await runCommand('ccmsetup', [...article(corrupted), ...emulator('CORRUPT1')], { cwd: work });
    expectRefused(r, 'CORRUPT1', /\/regtoken is not a bulk registration token: its payload is not valid JSON/);
  });
});

describe('internal-network registration', () => {
  test('registers on the intranet MP, gets its token there, then roams to the CMG', async () => {
    const args = [
      `/mp:${ready.mp}`,
      'SMSSITECODE=ABC',
      `CCMHOSTNAME=${CMG}/CCM_Proxy_MutualAuth/${ROLE}`,
      ...emulator('INTRA1'),
    ];
    const r = await runCommand('ccmsetup', args, { cwd: work });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(clientJson('INTRA1')).toMatchObject({
      location: 'intranet',
      registeredBy: 'intranet',
      registration: 'registered',
      assignedMp: ready.mp,
    });
    expect(entries('INTRA1', 'ClientLocation').map((e) => e.message)).toContain(ROTATION);
    const roam = await runCommand(
      'ccmlab',
      ['client', 'roam', '--internet', '--client-dir', dirs('INTRA1').clientDir],
      {
        cwd: work,
      },
    );
    expect(roam.stderr).toBe('');
    expect(roam.code).toBe(0);
    expect(clientJson('INTRA1').location).toBe('internet');
  });
});

describe('the demo', () => {
  test('ccmlab demo --lab DIR exits 0, prints the rotation line and makes its lab in DIR', async () => {
    const r = await runCommand('ccmlab', ['demo', '--lab', path.join(work, 'demo')], { cwd: work });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(ROTATION);
    expect(fs.existsSync(path.join(work, 'demo', 'site', 'site.json'))).toBe(true);
    expect(r.stdout).toContain(`npx ccmlab clock set +31d --lab ${path.relative(work, path.join(work, 'demo'))}`);
    expect(r.stdout).toMatch(/SMSID: +GUID:[0-9A-F-]{36}/);
    // The token tool's GUID is called a GUID, never "token <guid>".
    expect(r.stderr).toMatch(/^3\. BulkRegistrationTokenTool \/new: tracking GUID [0-9a-f-]{36}, valid until /m);
    expect(r.stderr).not.toMatch(/token [0-9a-f]{8}-/);
    expect(emulatorWordsIn(path.join(work, 'demo'))).toEqual([]);
  });

  test.each([['--lab'], ['--lab-dir']])(
    'demo %s names the lab it makes afresh (--lab-dir is the old name): a directory that is not a lab is refused, nothing else made',
    async (option) => {
      const cwd = path.join(work, `demo-refused${option}`);
      const mine = path.join(cwd, 'mine');
      fs.mkdirSync(mine, { recursive: true });
      fs.writeFileSync(path.join(mine, 'notes.txt'), 'mine\n');
      const r = await runCommand('ccmlab', ['demo', option, mine], { cwd });
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/CCMLAB_E_SITE_EXISTS: .*mine exists and is not a ccmlab lab; choose another --lab/);
      expect(fs.readdirSync(cwd)).toEqual(['mine']);
      expect(fs.readdirSync(mine)).toEqual(['notes.txt']);
    },
  );
});

describe('ccmlab fleet', () => {
  test('enroll without a running site: an embedded lab of its own, each client with its own identity and logs', async () => {
    const fleetDir = path.join(work, 'fleet');
    // No lab named: the fleet makes an embedded lab of its own.
    const r = await runCommand(
      'ccmlab',
      ['fleet', 'enroll', '--count', '3', '--concurrency', '2', '--fleet-dir', fleetDir, '--json'],
      { cwd: work, env: { CCMLAB_LAB: '' } },
    );
    expect(r.code).toBe(0);
    const summary = JSON.parse(r.stdout) as { mode: string; enrolled: number; failed: number; siteLogs: string };
    expect(summary).toMatchObject({
      mode: 'embedded',
      enrolled: 3,
      failed: 0,
      siteLogs: path.join(fleetDir, 'logs', 'site'),
    });
    const smsids = ['FLEET00001', 'FLEET00002', 'FLEET00003'].map(
      (name) =>
        (JSON.parse(fs.readFileSync(path.join(fleetDir, 'clients', name, 'client.json'), 'utf8')) as { smsid: string })
          .smsid,
    );
    expect(new Set(smsids).size).toBe(3);
    for (const name of ['FLEET00001', 'FLEET00003']) {
      const lines = parseCmTrace(
        fs.readFileSync(path.join(fleetDir, 'logs', 'clients', name, 'ClientLocation.log'), 'utf8'),
      ).entries.map((e) => e.message);
      expect(lines).toContain(ROTATION);
    }
    expect(emulatorWordsIn(fleetDir)).toEqual([]);
    const bad = await runCommand('ccmlab', ['fleet', 'enroll', '--count', '0', '--fleet-dir', fleetDir], { cwd: work });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--count '0' is not a whole number from 1 to 100000/);
    const bare = await runCommand('ccmlab', ['fleet', '--count', '3'], { cwd: work });
    expect(bare.code).toBe(2);
    expect(bare.stderr).toBe(
      'ccmlab: error CCMLAB_E_USAGE: name a fleet command: enroll, keys, start, status (ccmlab fleet --help shows usage)\n',
    );
  });
});

describe('ccmlab client run', () => {
  test('stays up with the renewal scheduled, wakes when the lab clock moves, and stops cleanly on SIGTERM', async () => {
    await installClient('RUN01', (await bulkToken()).token);
    const child = spawn(
      process.execPath,
      [path.join(ROOT, 'bin', 'ccmlab.js'), 'client', 'run', '--client-dir', dirs('RUN01').clientDir],
      { cwd: work, env: process.env },
    );
    const closed = new Promise<number | null>((resolve) => child.on('close', resolve));
    try {
      const stderr = await waitForOutput(child.stderr, /next renewal in/);
      expect(stderr).toMatch(/ccmlab client: not-due; next renewal in \d+ h/);
      // The lab clock moves to day 31 (the site follows it too): the waiting agent renews at once.
      const renewed = waitForOutput(child.stderr, /renewed/);
      expect((await runCommand('ccmlab', ['clock', 'set', '+31d'], { cwd: work })).code).toBe(0);
      expect(await renewed).toMatch(/ccmlab client: renewed; next renewal in \d+ h/);
    } finally {
      await runCommand('ccmlab', ['clock', 'set', 'reset'], { cwd: work });
      child.kill('SIGTERM');
    }
    expect(await closed).toBe(0);
  });
});

describe('site settings from the command line', () => {
  test('config get and set, with bad keys and values refused', async () => {
    const all = JSON.parse((await site('config', 'get', '--json')).stdout) as Record<string, unknown>;
    expect(all).toEqual({
      'registration.pending': true,
      'registration.approval': 'auto',
      'tokens.intranet': true,
      'mp.enhancedHttp': true,
      'connector.clientAuthCertificate': false,
      'listener.headerTimeout': 30,
      'listener.requestTimeout': 60,
      'listener.idleTimeout': 120,
      'listener.maxConnections': 1024,
    });
    expect((await site('config', 'set', 'listener.headerTimeout', '5')).stdout).toBe('listener.headerTimeout = 5\n');
    expect((await site('config', 'set', 'listener.headerTimeout', '30')).code).toBe(0);
    const badSeconds = await site('config', 'set', 'listener.idleTimeout', '0');
    expect([badSeconds.code, badSeconds.stderr]).toEqual([
      2,
      expect.stringMatching(/use whole seconds from 1 to 3600/),
    ]);
    expect((await site('config', 'set', 'registration.pending', 'false')).code).toBe(0);
    expect((await site('config', 'get', 'registration.pending')).stdout.trim()).toBe('false');
    expect((await site('config', 'set', 'registration.pending', 'true')).code).toBe(0);
    const badKey = await site('config', 'set', 'registration.pendng', 'true');
    expect(badKey.code).toBe(2);
    expect(badKey.stderr).toMatch(/'registration.pendng' is not a site setting/);
    const badValue = await site('config', 'set', 'registration.approval', 'sometimes');
    expect(badValue.code).toBe(2);
    expect(badValue.stderr).toMatch(/use auto or manual/);
    const badClock = await site('clock', 'set', 'tomorrow');
    expect(badClock.code).toBe(2);
  });
});
