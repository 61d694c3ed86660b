import yargs from 'yargs';
import { clockCommand, labCommand } from './commands/lab-world';
import { logDiagnoseCommand } from './commands/log-diagnose';
import { logShowCommand } from './commands/log-show';
import { scenarioCommand } from './commands/scenario';
import { siteCommand } from './commands/site';
import { clientCommand } from './commands/client';
import { demoCommand } from './commands/demo';
import { fleetCommand } from './commands/fleet';
import { benchCommand } from './commands/bench';
import { CommandLine, HELP_ALIAS, VERSION_ALIAS } from './command-line';
import { commandGroup, type Command } from './command-tree';
import { CommandContext } from './context';
import { runMain } from './exit';
import { withExamples } from './help-examples';
import { GLOBAL_OPTIONS } from './options';
import { versionLine } from './version';

/** `clock set -1d`: a negative offset is a value, not a flag (yargs would read it as -1 -d). */
function protectNegativeOffsets(argv: readonly string[]): string[] {
  const out = [...argv];
  const set = out.findIndex((a, i) => a === 'set' && out[i - 1] === 'clock');
  if (set >= 0 && /^-\d+[dhm]$/i.test(out[set + 1] ?? '')) out[set + 1] = `--when=${out[set + 1]}`;
  return out;
}

function logCommand(context: CommandContext): Command {
  return commandGroup(context, {
    path: 'log',
    describe: 'read CMTrace logs',
    commands: [logShowCommand(context), logDiagnoseCommand(context)],
  });
}

/** ccmlab's commands, in the order its help and its refusals list them. */
const COMMANDS = [
  siteCommand,
  clockCommand,
  labCommand,
  clientCommand,
  logCommand,
  scenarioCommand,
  demoCommand,
  fleetCommand,
  benchCommand,
];

async function main(argv: string[]): Promise<number> {
  const tokens = protectNegativeOffsets(argv);
  const commandLine = new CommandLine('ccmlab', tokens, GLOBAL_OPTIONS);
  const context = new CommandContext(commandLine);
  const commands = COMMANDS.map((make) => make(context));
  commandLine.enter({ path: '', subcommands: commands.map((c) => c.name) });
  let helpShown = false;
  const root = withExamples(yargs(), 'ccmlab')
    .scriptName('ccmlab')
    .usage(
      'ccmlab <command>\n\nConfiguration Manager lab: an emulated site, CMG and clients for token-based enrollment.',
    )
    .parserConfiguration({ 'parse-numbers': false, 'parse-positional-numbers': false })
    .options(GLOBAL_OPTIONS)
    // Before yargs validates: ccmlab's own checks of the deepest command yargs reached, in ccmlab's words.
    .middleware((parsed) => commandLine.check(parsed), true)
    .strict()
    .exitProcess(false)
    .fail((message: string | null, error: Error | undefined) => {
      // yargs reports its own validation failures as YError; anything else is ours to pass on.
      if (error && error.name !== 'YError') throw error;
      throw commandLine.yargsRefusal(message ?? error?.message ?? 'bad command line');
    })
    .help()
    .alias(HELP_ALIAS, 'help')
    .version('version', 'show the version', versionLine('ccmlab'))
    .alias(VERSION_ALIAS, 'version')
    .wrap(Math.min(100, process.stdout.columns ?? 100));
  const parser = commands.reduce((built, command) => command.addTo(built), root);
  await parser.parseAsync(tokens, {}, (_error: unknown, _parsed: unknown, output: string) => {
    if (output) {
      helpShown = true;
      process.stdout.write(`${output}\n`);
    }
  });
  const outcome = context.result();
  if (outcome) return outcome;
  return helpShown ? 0 : 2;
}

void runMain({ name: 'ccmlab' }, () => main(process.argv.slice(2)));
