import * as fs from 'node:fs';
import * as path from 'node:path';
import { packageRoot } from '../../src/core/package-root';
import {
  loadCatalogue,
  parseScenario,
  parseSignature,
  scenarioNames,
  type Expectation,
  type Scenario,
} from '../../src/diagnose/catalogue';
import { catalogueMarkdown } from '../../src/diagnose/catalogue-markdown';
import { diagnoseLogs } from '../../src/diagnose/diagnose';
import { checkExpectations } from '../../src/diagnose/expectations';
import type { LogLine } from '../../src/diagnose/log-lines';
import { ROOT, removeDir, tempDir } from '../support/paths';

const NAMES = [
  'bulk-token-success',
  'bulk-token-expired',
  'bulk-token-blocked',
  'bulk-token-malformed',
  'bulk-token-foreign-signer',
  'passive-site-token-tool',
  'token-signing-renewed',
  'intranet-registration-then-internet',
  'token-renewal-day-30',
  'client-token-expired-day-91',
  'wrong-site-code',
  'untrusted-cmg-root',
  'cmg-name-mismatch',
  'crl-unreachable',
  'cmg-cert-revoked',
  'cmg-down',
  'unknown-role-id',
  'cmg-connector-client-cert-required',
];

const catalogue = loadCatalogue();

describe('the catalogue in catalogue/', () => {
  test('every scenario folder loads, and the issue names each one', () => {
    expect(packageRoot()).toBe(ROOT);
    expect(scenarioNames()).toEqual([...NAMES].sort());
    expect(catalogue.scenarios.map((s) => s.name)).toEqual([...NAMES].sort());
  });

  test('a failure has exactly one key line, a success none; every line names a source it lists', () => {
    for (const s of catalogue.scenarios) {
      expect([s.name, s.expect.filter((e) => e.key).length]).toEqual([s.name, s.outcome === 'failure' ? 1 : 0]);
      for (const e of s.expect) {
        if (e.origin === 'microsoft') expect(s.sources.map((x) => x.id)).toContain(e.source);
      }
    }
  });

  test('the signatures explain failure scenarios and have one key line each', () => {
    const failures = catalogue.scenarios.filter((s) => s.outcome === 'failure').map((s) => s.name);
    expect(catalogue.signatures.map((s) => s.id)).toEqual(['cmg-invalid-token', 'cmg-tls-failure']);
    for (const s of catalogue.signatures) {
      expect(s.expect.filter((e) => e.key)).toHaveLength(1);
      for (const name of s.explains) expect(failures).toContain(name);
    }
  });

  test('docs/scenarios.md is the page the catalogue makes', () => {
    const written = fs.readFileSync(path.join(ROOT, 'docs', 'scenarios.md'), 'utf8');
    const made = catalogueMarkdown(catalogue);
    if (written !== made)
      throw new Error('docs/scenarios.md is not what the catalogue makes: run `npm run docs` and commit it');
    for (const s of catalogue.scenarios) expect(written).toContain(`### ${s.name}`);
  });
});

/* ---- Each scenario's own lines, as a run would write them ---- */

const SAMPLES: Record<string, string> = {
  '{cmg}': 'CONTOSO.CLOUDAPP.NET',
  '{roleId}': '72186325152220500',
  '{siteCode}': 'ABC',
  '{guid}': '7EBD1032-7719-4ED3-B2A4-DDE666578C50',
  '{n}': '7',
  '{hex}': '87D00231',
  '{time}': '10/01/2020 22:03:24',
  '{*}': 'x',
};

function sample(e: Expectation): string {
  return e.example ?? (e.text as string).replace(/\{(cmg|roleId|siteCode|guid|n|hex|time|\*)\}/g, (p) => SAMPLES[p]);
}

/** One folder per run: each expectation a record of its log, in order, of its type. */
function logsOf(scenario: Scenario): Map<string, LogLine[]> {
  const logs = new Map<string, LogLine[]>();
  scenario.expect.forEach((e, i) => {
    const file = `run/${e.log}`;
    const records = logs.get(file) ?? [];
    records.push({
      message: sample(e),
      line: records.length + 1,
      type: e.type,
      time: new Date(Date.UTC(2026, 0, 15, 10, 0, 0, i)).toISOString(),
    });
    logs.set(file, records);
  });
  return logs;
}

describe.each(catalogue.scenarios.map((s) => [s.name, s] as const))('%s, from its own lines', (_name, scenario) => {
  const logs = logsOf(scenario);

  test('every expectation holds, in order and of its type', () => {
    const bindings = { cmg: SAMPLES['{cmg}'], roleId: SAMPLES['{roleId}'], siteCode: SAMPLES['{siteCode}'] };
    expect(checkExpectations(scenario, logs, bindings).filter((r) => !r.ok)).toEqual([]);
  });

  test(
    scenario.outcome === 'failure' ? 'diagnosis names this scenario and nothing else' : 'diagnosis finds nothing',
    () => {
      expect(diagnoseLogs(logs, catalogue).map((f) => f.id)).toEqual(
        scenario.outcome === 'failure' ? [scenario.name] : [],
      );
    },
  );
});

/* ---- Validation ---- */

const FILE = 'catalogue/scenarios/x/scenario.json';
const good = () => ({
  title: 'T',
  outcome: 'failure',
  whatBroke: 'W',
  cause: 'C',
  fix: 'F',
  sources: [{ id: 'KB-CMG', title: 'KB', url: 'https://learn.microsoft.com/x' }],
  expect: [
    { log: 'ccmsetup.log', text: 'StatusCode=401', type: 3, key: true, origin: 'microsoft', source: 'KB-CMG' },
  ] as Array<Record<string, unknown>>,
});

describe('a bad scenario is an error naming the file and the field', () => {
  test.each([
    ['no key line', (d: ReturnType<typeof good>) => delete d.expect[0].key, /expect has 0 key lines/],
    ['two key lines', (d: ReturnType<typeof good>) => d.expect.push({ ...d.expect[0] }), /expect has 2 key lines/],
    [
      'a source not listed',
      (d: ReturnType<typeof good>) => (d.expect[0].source = 'KB-X'),
      /expect\[0\]\.source names KB-X, which is not in sources/,
    ],
    [
      "Microsoft's line without a source",
      (d: ReturnType<typeof good>) => delete d.expect[0].source,
      /expect\[0\]\.source must name/,
    ],
    [
      'text and pattern',
      (d: ReturnType<typeof good>) => (d.expect[0].pattern = 'x'),
      /expect\[0\] must have exactly one of text and pattern/,
    ],
    ['an unknown field', (d: ReturnType<typeof good>) => (d.expect[0].keys = true), /expect\[0\]\.keys is not a field/],
    ['a bad type', (d: ReturnType<typeof good>) => (d.expect[0].type = 4), /expect\[0\]\.type must be 0, 1, 2 or 3/],
    [
      'an unknown placeholder',
      (d: ReturnType<typeof good>) => (d.expect[0].text = 'https://{cmgName}/'),
      /expect\[0\]\.text is wrong: unknown placeholder \{cmgName\}/,
    ],
    [
      'a pattern without an example',
      (d: ReturnType<typeof good>) => ((d.expect[0].pattern = 'x'), delete d.expect[0].text),
      /expect\[0\]\.example must be text/,
    ],
    [
      'an example the pattern does not match',
      (d: ReturnType<typeof good>) => (
        (d.expect[0].pattern = '^x'),
        delete d.expect[0].text,
        (d.expect[0].example = 'y')
      ),
      /expect\[0\]\.example does not match the pattern/,
    ],
    ['a bad outcome', (d: ReturnType<typeof good>) => (d.outcome = 'maybe'), /outcome must be success or failure/],
    [
      'a key line in a success',
      (d: ReturnType<typeof good>) => (d.outcome = 'success'),
      /expect has a key line; a success has none/,
    ],
  ])('%s', (_what, spoil, message) => {
    const doc = good();
    spoil(doc);
    expect(() => parseScenario('x', doc, FILE)).toThrow(
      expect.objectContaining({
        code: 'CCMLAB_E_CATALOGUE',
        message: expect.stringMatching(new RegExp(`^${FILE}: .*${message.source}.*; fix the file`)),
      }),
    );
  });

  test('a good one parses', () => {
    expect(parseScenario('x', good(), FILE)).toMatchObject({
      name: 'x',
      outcome: 'failure',
      expect: [{ key: true, type: 3 }],
    });
  });

  test('a signature must explain failure scenarios', () => {
    const { outcome: _outcome, whatBroke: _whatBroke, ...signature } = good();
    expect(() =>
      parseSignature('s', { ...signature, explains: ['nope'] }, 'catalogue/signatures/s.json', ['a']),
    ).toThrow(/explains\[0\] must name a failure scenario \(a\)/);
  });

  test('a file that is not JSON, found by loadCatalogue, is named', () => {
    const root = tempDir();
    try {
      fs.writeFileSync(path.join(root, 'package.json'), '{}');
      fs.mkdirSync(path.join(root, 'catalogue', 'scenarios', 'broken'), { recursive: true });
      fs.mkdirSync(path.join(root, 'catalogue', 'signatures'));
      fs.writeFileSync(path.join(root, 'catalogue', 'scenarios', 'broken', 'scenario.json'), '{"title": ');
      expect(() => loadCatalogue(root)).toThrow(
        expect.objectContaining({
          code: 'CCMLAB_E_CATALOGUE',
          message: expect.stringMatching(/^catalogue\/scenarios\/broken\/scenario\.json: the document is not JSON/),
        }),
      );
    } finally {
      removeDir(root);
    }
  });
});
