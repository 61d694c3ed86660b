import * as fs from 'node:fs';
import * as path from 'node:path';
import { keptValue, parseScenarioSteps, splitCommandLine, substitute } from '../../src/scenarios/scenario-steps';
import { CATALOGUE } from '../support/paths';

test('every scenario folder has steps that parse', () => {
  const names = fs
    .readdirSync(path.join(CATALOGUE, 'scenarios'))
    .filter((n) => fs.statSync(path.join(CATALOGUE, 'scenarios', n)).isDirectory());
  expect(names.length).toBeGreaterThanOrEqual(18);
  for (const name of names) {
    const file = path.join(CATALOGUE, 'scenarios', name, 'steps.json');
    const steps = parseScenarioSteps(JSON.parse(fs.readFileSync(file, 'utf8')), file);
    expect(steps.steps.length).toBeGreaterThan(0);
  }
});

test('a step must run one of ccmlab’s programs, with an exit code 0-255 and well-formed keeps', () => {
  const bad = [
    { steps: [{ run: 'curl http://x' }] },
    { steps: [{ run: 'ccmlab site show', exit: 300 }] },
    { steps: [{ run: 'ccmlab site show', keep: { token: { line: 1 } } }] },
    { steps: [{ keep: { T: { file: '../../etc/passwd' } } }] },
    { steps: [] },
    [],
  ];
  for (const json of bad)
    expect(() => parseScenarioSteps(json, 'steps.json')).toThrow(/steps\.json: .*fix the scenario's steps\.json/);
  expect(
    parseScenarioSteps({ steps: [{ run: 'ccmsetup /?', exit: 0, keep: { T: { json: 'a.b' } } }] }, 'f').steps[0],
  ).toEqual({ run: 'ccmsetup /?', exit: 0, keep: { T: { json: 'a.b' } }, say: undefined });
});

test('variables are substituted, and one used before it is kept is an error, not an empty string', () => {
  expect(substitute('/regtoken:$TOKEN --netbios $NAME', { TOKEN: 'eyJ.x.y', NAME: 'PC01' }, 'f')).toBe(
    '/regtoken:eyJ.x.y --netbios PC01',
  );
  expect(() => substitute('/regtoken:$TOKEN', {}, 'f')).toThrow(/'\$TOKEN' is used before a step keeps it/);
});

test('command lines split on spaces, double quotes keeping a value whole', () => {
  expect(splitCommandLine('ccmlab site init  --site-code ABC "--mp-name" "a b"')).toEqual([
    'ccmlab',
    'site',
    'init',
    '--site-code',
    'ABC',
    '--mp-name',
    'a b',
  ]);
});

test('kept values: a line of stdout, or a field of its JSON', () => {
  expect(keptValue({ line: 2 }, 'one\r\n two \nthree')).toBe('two');
  expect(keptValue({ line: 9 }, 'one')).toBeUndefined();
  expect(keptValue({ json: 'ports.cmg' }, '{"ports": {"cmg": 44769}}')).toBe('44769');
  expect(keptValue({ json: 'ports.cmg' }, 'not json')).toBeUndefined();
});
