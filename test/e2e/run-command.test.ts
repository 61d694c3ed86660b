import { removeDir, tempDir } from '../support/paths';
import { runCli } from '../support/run-cli';
import { runCommand } from '../support/run-command';

/** The in-process harness answers as the process does: same exit code, stdout and stderr. */

let work: string;
beforeAll(() => {
  work = tempDir();
});
afterAll(() => removeDir(work));

test.each([
  ['ccmlab', ['--version']],
  ['ccmlab', ['senario', 'list']],
  ['ccmlab', ['clock', 'show', '--json', '--lab', 'lab']],
  ['ccmlab', ['site', 'show', '--json', '--site-dir', 'no-site']],
  ['ccmsetup', ['/?']],
  ['ccmsetup', ['/mp:https://mp01', '/bogus', '--log-dir', 'logs']],
  ['BulkRegistrationTokenTool', ['/nwe']],
] as const)('%s %p in process gives what the process gives', async (name, args) => {
  const [inProcess, process] = [await runCommand(name, args, { cwd: work }), await runCli(name, args, { cwd: work })];
  // Times in a JSON document may move by a second between the two runs.
  const steady = (text: string) => text.replace(/"\d{4}-\d\d-\d\dT[\d:.]+Z"/g, '"TIME"');
  expect({ ...inProcess, stdout: steady(inProcess.stdout) }).toEqual({ ...process, stdout: steady(process.stdout) });
});
