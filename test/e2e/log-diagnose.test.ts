import { runCommand } from '../support/run-command';

/** `ccmlab log diagnose` as a process, over the logs in fixtures/diagnose (run from the repository root, paths relative). */

const EXPIRED = 'fixtures/diagnose/expired-bulk-token';

test('--json prints one document, {"findings": [...]}, and exits 1 when a failure is found', async () => {
  const r = await runCommand('ccmlab', ['log', 'diagnose', EXPIRED, '--json']);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(1);
  const document = JSON.parse(r.stdout);
  expect(Object.keys(document)).toEqual(['findings']);
  expect(document.findings).toHaveLength(1);
  const [finding] = document.findings;
  expect(Object.keys(finding)).toEqual(['id', 'title', 'cause', 'fix', 'evidence']);
  expect(finding).toMatchObject({
    id: 'bulk-token-expired',
    fix: expect.stringContaining('BulkRegistrationTokenTool /new'),
  });
  expect(finding.evidence[1]).toEqual({
    file: `${EXPIRED}/site/CCM_STS.log`,
    line: 1,
    time: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/),
    text: expect.stringMatching(
      /^Return code: 401, Description: PreAuth token validation failed, .*SecurityTokenExpiredException:\r\nIDX10223: /,
    ),
  });
});

test('human output: a block per finding (title, cause, fix, evidence file:line time text), then a summary', async () => {
  const r = await runCommand('ccmlab', ['log', 'diagnose', `${EXPIRED}/clients`]);
  expect(r.code).toBe(1);
  const lines = r.stdout.split('\n');
  expect(lines.slice(0, 4)).toEqual([
    "cmg-invalid-token: The CMG refused the client's token (401 CMGService_Invalid_Token)",
    expect.stringMatching(/^ {2}Cause: The client sees only that the CMG refused its token; .*bulk-token-expired/),
    expect.stringMatching(/^ {2}Fix: {3}Read the site's CCM_STS\.log/),
    '  Evidence:',
  ]);
  expect(lines[5]).toMatch(
    new RegExp(
      `^ {4}${EXPIRED}/clients/PC01/ccmsetup\\.log:\\d+ {2}\\d{4}-\\d{2}-\\d{2}T[\\d:.]+Z {2}\\[CCMHTTP\\] ERROR INFO: StatusCode=401 StatusText=CMGService_Invalid_Token$`,
    ),
  );
  expect(lines.slice(-3)).toEqual(['', '1 finding in 1 log file: cmg-invalid-token.', '']);
});

test('logs of a success: nothing found, exit 0', async () => {
  const r = await runCommand('ccmlab', ['log', 'diagnose', 'fixtures/diagnose/bulk-token-success']);
  expect(r).toEqual({ code: 0, stdout: 'No known failure and no error found in 10 log files.\n', stderr: '' });
});

test('real-format folders: every failure found, files that are not logs skipped with a note on stderr', async () => {
  const r = await runCommand('ccmlab', ['log', 'diagnose', 'fixtures/diagnose/real-world', '--json']);
  expect(r.code).toBe(1);
  expect(r.stderr).toBe(
    'ccmlab: skipped fixtures/diagnose/real-world/pasted/ticket-excerpt.txt: not a log (*.log, *.lo_)\n',
  );
  expect(JSON.parse(r.stdout).findings.map((f: { id: string }) => f.id)).toEqual([
    'cmg-connector-client-cert-required',
    'cmg-invalid-token',
  ]);
  // Named alone, a file is read whatever its name.
  const pasted = await runCommand('ccmlab', [
    'log',
    'diagnose',
    'fixtures/diagnose/real-world/pasted/ticket-excerpt.txt',
    '--json',
  ]);
  expect(JSON.parse(pasted.stdout).findings.map((f: { id: string }) => f.id)).toEqual(['cmg-name-mismatch']);
});

test('a path that does not exist: the error log show gives, exit 1', async () => {
  const [diagnose, show] = await Promise.all([
    runCommand('ccmlab', ['log', 'diagnose', 'fixtures/diagnose/nope.log']),
    runCommand('ccmlab', ['log', 'show', 'fixtures/diagnose/nope.log']),
  ]);
  expect(diagnose.code).toBe(1);
  expect(diagnose.stdout).toBe('');
  expect(diagnose.stderr).toMatch(
    /^ccmlab: error CCMLAB_E_FILE_NOT_FOUND: log file fixtures\/diagnose\/nope\.log does not exist; /,
  );
  expect(diagnose.stderr).toBe(show.stderr);
});
